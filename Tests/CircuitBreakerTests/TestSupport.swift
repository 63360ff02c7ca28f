import CircuitBreaker
import CircuitBreakerTestKit

struct DependencyDown: Error, Equatable {}
struct BadRequest: Error, Equatable {}

/// A breaker on a manual clock with a recording monitor.
struct Harness {
    let clock = ManualClock()
    let recorder = RecordingMonitor(wantsDurations: true)
    let breaker: CircuitBreaker

    init(_ configuration: CircuitBreaker.Configuration, name: String = "dependency") throws {
        breaker = try CircuitBreaker(
            name: name,
            configuration: configuration,
            monitors: [recorder],
            clock: .manual(clock)
        )
    }

    @discardableResult
    func succeed() -> Bool {
        (try? breaker.execute { true }) ?? false
    }

    /// Runs a failing call; returns whether it was admitted (failed) rather than rejected.
    @discardableResult
    func fail() -> Bool {
        do {
            try breaker.execute { throw DependencyDown() }
            return true
        } catch is DependencyDown {
            return true
        } catch {
            return false
        }
    }

    /// A call that takes `duration` on the manual clock and succeeds.
    func slowSuccess(_ duration: Duration) {
        _ = try? breaker.execute { clock.advance(by: duration) }
    }

    func isRejected() -> Bool {
        do {
            try breaker.execute {}
            return false
        } catch is CallRejectedError {
            return true
        } catch {
            return false
        }
    }
}

extension CircuitBreaker.Configuration {
    /// Consecutive failures with a fixed wait and `trials` trial calls.
    static func testConsecutive(_ threshold: Int, wait: Duration = .seconds(10), trials: Int = 1) -> Self {
        CircuitBreaker.Configuration(
            trip: .consecutiveFailures(threshold),
            openWait: .fixed(wait),
            halfOpen: HalfOpenPolicy(trialCalls: trials)
        )
    }
}
