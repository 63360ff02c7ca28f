import CircuitBreaker
import CircuitBreakerInternals

/// A breaker's configuration as the status API shows it: the trip policy with its thresholds, the open wait, the
/// half-open probe and the enforcement mode.
struct PolicyStatus: Encodable {
    let configuration: CircuitBreaker.Configuration

    init(_ configuration: CircuitBreaker.Configuration) {
        self.configuration = configuration
    }

    private enum Keys: String, CodingKey {
        case kind, description, enforcement, window
        case consecutiveFailureThreshold = "consecutive_failure_threshold"
        case failureRatioThreshold = "failure_ratio_threshold"
        case slowCallRatioThreshold = "slow_call_ratio_threshold"
        case minimumCalls = "minimum_calls"
        case slowCallThresholdSeconds = "slow_call_threshold_seconds"
        case openWait = "open_wait"
        case halfOpenTrialCalls = "half_open_trial_calls"
    }

    func encode(to encoder: any Encoder) throws {
        let trip = configuration.trip
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(trip.windowPolicy == nil ? "consecutive_failures" : "window", forKey: .kind)
        try container.encode(trip.description, forKey: .description)
        try container.encode(configuration.enforcement.description, forKey: .enforcement)
        try container.encode(trip.consecutiveFailureThreshold, forKey: .consecutiveFailureThreshold)
        try container.encode(trip.failureRatioThreshold, forKey: .failureRatioThreshold)
        try container.encode(trip.slowCallRatioThreshold, forKey: .slowCallRatioThreshold)
        try container.encode(trip.windowPolicy?.minimumCalls, forKey: .minimumCalls)
        try container.encode(trip.windowPolicy.map { "\($0.window)" }, forKey: .window)
        try container.encode(configuration.slowCallThreshold?.secondsValue, forKey: .slowCallThresholdSeconds)
        try container.encode(configuration.openWait.description, forKey: .openWait)
        try container.encode(configuration.halfOpen.trialCalls, forKey: .halfOpenTrialCalls)
    }
}
