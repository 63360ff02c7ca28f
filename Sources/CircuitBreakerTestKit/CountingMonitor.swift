public import CircuitBreaker
import Synchronization

/// A monitor that only counts events, with one relaxed atomic add each: cheap enough for load and
/// concurrency tests, and for measuring what a monitor costs.
public final class CountingMonitor: BreakerMonitor {
    private let successes = Atomic<Int>(0)
    private let failures = Atomic<Int>(0)
    private let ignored = Atomic<Int>(0)
    private let timeouts = Atomic<Int>(0)
    private let rejections = Atomic<Int>(0)
    private let slowCalls = Atomic<Int>(0)
    private let transitions = Atomic<Int>(0)
    private let shadowRejections = Atomic<Int>(0)

    /// Creates a monitor with every count at zero.
    public init() {}

    /// Counts so far.
    public struct Counts: Sendable, Hashable {
        /// Successful calls.
        public var successes: Int
        /// Failed calls (timeouts not included).
        public var failures: Int
        /// Ignored calls.
        public var ignored: Int
        /// Timed-out calls.
        public var timeouts: Int
        /// Rejected calls.
        public var rejections: Int
        /// Slow calls.
        public var slowCalls: Int
        /// State transitions.
        public var transitions: Int
        /// Calls a shadow breaker would have rejected (and ran; they are counted by outcome too).
        public var shadowRejections: Int = 0

        /// Every call the breaker saw: executed or rejected.
        public var calls: Int { successes + failures + ignored + timeouts + rejections }
    }

    /// The counts now.
    public var counts: Counts {
        Counts(
            successes: successes.load(ordering: .relaxed),
            failures: failures.load(ordering: .relaxed),
            ignored: ignored.load(ordering: .relaxed),
            timeouts: timeouts.load(ordering: .relaxed),
            rejections: rejections.load(ordering: .relaxed),
            slowCalls: slowCalls.load(ordering: .relaxed),
            transitions: transitions.load(ordering: .relaxed),
            shadowRejections: shadowRejections.load(ordering: .relaxed)
        )
    }

    /// Counts a success.
    public func callSucceeded(_ breaker: CircuitBreaker, duration: Duration?) {
        successes.add(1, ordering: .relaxed)
    }
    /// Counts a failure.
    public func callFailed(_ breaker: CircuitBreaker, error: any Error, duration: Duration?) {
        failures.add(1, ordering: .relaxed)
    }
    /// Counts an ignored call.
    public func callIgnored(_ breaker: CircuitBreaker, error: any Error, duration: Duration?) {
        ignored.add(1, ordering: .relaxed)
    }
    /// Counts a timeout.
    public func callTimedOut(_ breaker: CircuitBreaker, duration: Duration) {
        timeouts.add(1, ordering: .relaxed)
    }
    /// Counts a rejection.
    public func callRejected(_ breaker: CircuitBreaker, state: CircuitState) {
        rejections.add(1, ordering: .relaxed)
    }
    /// Counts a slow call.
    public func slowCall(_ breaker: CircuitBreaker, duration: Duration) {
        slowCalls.add(1, ordering: .relaxed)
    }
    /// Counts a call a shadow breaker would have rejected.
    public func callShadowRejected(_ breaker: CircuitBreaker, state: CircuitState) {
        shadowRejections.add(1, ordering: .relaxed)
    }
    /// Counts a transition.
    public func stateChanged(_ breaker: CircuitBreaker, transition: StateTransition) {
        transitions.add(1, ordering: .relaxed)
    }
}
