import CircuitBreaker
import Synchronization

/// Counts each breaker's calls for the live status lines: a monitor, like any a user could write.
final class CallStatistics: BreakerMonitor {
    /// One breaker's counters.
    final class Counters: Sendable {
        let calls = Atomic<Int>(0)
        let failures = Atomic<Int>(0)
        let rejections = Atomic<Int>(0)
        let fallbacks = Atomic<Int>(0)
    }

    private let countersByName = Mutex<[String: Counters]>([:])

    func counters(for name: String) -> Counters {
        countersByName.withLock { table in
            if let counters = table[name] { return counters }
            let counters = Counters()
            table[name] = counters
            return counters
        }
    }

    func bind(to breaker: BreakerDescription) throws -> any BreakerMonitor {
        Bound(counters: counters(for: breaker.name))
    }

    private struct Bound: BreakerMonitor {
        let counters: Counters

        func callSucceeded(_ breaker: CircuitBreaker, duration: Duration?) {
            counters.calls.add(1, ordering: .relaxed)
        }
        func callFailed(_ breaker: CircuitBreaker, error: any Error, duration: Duration?) {
            counters.calls.add(1, ordering: .relaxed)
            counters.failures.add(1, ordering: .relaxed)
        }
        func callTimedOut(_ breaker: CircuitBreaker, duration: Duration) {
            counters.calls.add(1, ordering: .relaxed)
            counters.failures.add(1, ordering: .relaxed)
        }
        func callIgnored(_ breaker: CircuitBreaker, error: any Error, duration: Duration?) {
            counters.calls.add(1, ordering: .relaxed)
        }
        func callRejected(_ breaker: CircuitBreaker, state: CircuitState) {
            counters.calls.add(1, ordering: .relaxed)
            counters.rejections.add(1, ordering: .relaxed)
        }
        func fallbackCompleted(_ breaker: CircuitBreaker, reason: FallbackReason, succeeded: Bool) {
            counters.fallbacks.add(1, ordering: .relaxed)
        }
    }
}
