import CircuitBreaker
import ServiceLifecycle

/// `--calibration`: calls the breaker `calibration` at the demo's rate with durations known exactly, so that an
/// end-to-end test can check the quantiles Prometheus computes: 49 calls in 50 take 20 ms and one takes 320 ms (2 %),
/// so the 99th percentile is 320 ms. The breaker runs on a manual clock that each call advances by its duration:
/// the recorded duration is exact, whatever the machine's load. The calls are not traced.
struct CalibrationLoad: Service {
    static let breakerName = "calibration"

    let breaker: CircuitBreaker
    let clock: ManualClock
    let callsPerSecond: Double

    func run() async throws {
        let interval = Duration.seconds(1 / callsPerSecond)
        try? await cancelWhenGracefulShutdown {
            var call = 0
            while !Task.isCancelled {
                let duration: Duration = call % 50 == 49 ? .milliseconds(320) : .milliseconds(20)
                _ = try? breaker.execute { clock.advance(by: duration) }
                call += 1
                try await Task.sleep(for: interval)
            }
        }
    }
}
