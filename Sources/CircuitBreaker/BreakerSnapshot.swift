import CircuitBreakerInternals

/// A picture of one breaker at one moment, taken under its lock, for dashboards, health pages and tests.
public struct BreakerSnapshot: Sendable, Hashable {
    /// The breaker's name.
    public let name: String
    /// Its state.
    public let state: CircuitState
    /// The number of the current state period.
    public let generation: UInt64
    /// Calls recorded in the sliding window (0 for a consecutive-failure policy).
    public let windowCalls: Int
    /// Failures (timeouts included) in the window.
    public let windowFailures: Int
    /// Slow calls in the window.
    public let windowSlowCalls: Int
    /// `windowFailures / windowCalls` once the window holds the policy's minimum number of calls, else 0, so that
    /// a ratio is never reported on too few calls.
    public let failureRatio: Double
    /// `windowSlowCalls / windowCalls` under the same rule.
    public let slowCallRatio: Double
    /// Failures in a row (consecutive-failure policy; 0 otherwise).
    public let consecutiveFailures: Int
    /// How many times in a row the breaker reopened from half-open (drives exponential open waits).
    public let consecutiveReopens: Int
    /// When the breaker last changed state, in seconds since the Unix epoch (its creation time before that).
    public let lastTransitionTimestamp: Double
    /// For an open breaker: how long until it admits a trial call.
    public let retryAfter: Duration?
    /// The last change of state, if there was one.
    public let lastTransition: StateTransition?
    /// The operator's override in force, if any.
    public let activeOverride: BreakerOverride?
    /// How long the breaker has been in its current state.
    public let timeInCurrentState: Duration
    /// How long the breaker has spent in each state since it was created, the current period included.
    public let timeInState: TimeInState

    /// Creates a snapshot.
    public init(
        name: String,
        state: CircuitState,
        generation: UInt64,
        windowCalls: Int,
        windowFailures: Int,
        windowSlowCalls: Int,
        failureRatio: Double,
        slowCallRatio: Double,
        consecutiveFailures: Int,
        consecutiveReopens: Int,
        lastTransitionTimestamp: Double,
        retryAfter: Duration?,
        lastTransition: StateTransition? = nil,
        activeOverride: BreakerOverride? = nil,
        timeInCurrentState: Duration = .zero,
        timeInState: TimeInState = TimeInState()
    ) {
        self.name = name
        self.state = state
        self.generation = generation
        self.windowCalls = windowCalls
        self.windowFailures = windowFailures
        self.windowSlowCalls = windowSlowCalls
        self.failureRatio = failureRatio
        self.slowCallRatio = slowCallRatio
        self.consecutiveFailures = consecutiveFailures
        self.consecutiveReopens = consecutiveReopens
        self.lastTransitionTimestamp = lastTransitionTimestamp
        self.retryAfter = retryAfter
        self.lastTransition = lastTransition
        self.activeOverride = activeOverride
        self.timeInCurrentState = timeInCurrentState
        self.timeInState = timeInState
    }
}

extension BreakerSnapshot {
    /// Where this snapshot stands among the snapshots of its breaker: the generation, then the breaker's age in
    /// nanoseconds when it was taken. Monitors that receive snapshots from several threads keep the newest.
    package var order: (generation: UInt64, age: Int64) {
        (generation, timeInState.total.nanoseconds)
    }
}
