import CircuitBreaker
import CircuitBreakerInternals

/// A breaker's configuration as the status API shows it: the trip policy with its thresholds, the open wait, the
/// half-open probe and the enforcement mode. A breaker's configuration never changes, so the operations monitor
/// renders this object once, when the breaker is created, and the status API copies the bytes.
enum PolicyStatus {
    /// The policy object of `configuration`.
    static func render(_ configuration: CircuitBreaker.Configuration) -> [UInt8] {
        let trip = configuration.trip
        var json = JSONWriter(capacity: 512)
        json.beginObject()
        json.key("kind")
        json.string(trip.windowPolicy == nil ? "consecutive_failures" : "window")
        json.key("description")
        json.string(trip.description)
        json.key("enforcement")
        json.string(configuration.enforcement.description)
        json.key("consecutive_failure_threshold")
        json.integer(trip.consecutiveFailureThreshold)
        json.key("failure_ratio_threshold")
        json.number(trip.failureRatioThreshold)
        json.key("slow_call_ratio_threshold")
        json.number(trip.slowCallRatioThreshold)
        json.key("minimum_calls")
        json.integer(trip.windowPolicy?.minimumCalls)
        json.key("window")
        json.string(trip.windowPolicy.map { "\($0.window)" })
        json.key("slow_call_threshold_seconds")
        json.seconds(configuration.slowCallThreshold)
        json.key("open_wait")
        json.string(configuration.openWait.description)
        json.key("half_open_trial_calls")
        json.integer(configuration.halfOpen.trialCalls)
        json.endObject()
        return json.bytes
    }
}
