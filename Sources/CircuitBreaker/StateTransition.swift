/// Why a breaker changed state.
public enum TransitionReason: String, Sendable, Hashable, CaseIterable {
    /// Closed → open: the consecutive-failure threshold was reached.
    case consecutiveFailures = "consecutive_failures"
    /// Closed → open: the failure ratio reached its threshold.
    case failureRatio = "failure_ratio"
    /// Closed → open: the slow-call ratio reached its threshold.
    case slowCallRatio = "slow_call_ratio"
    /// Open → half-open: the open wait elapsed and a call arrived.
    case openWaitElapsed = "open_wait_elapsed"
    /// Half-open → closed: enough trial calls succeeded.
    case trialsSucceeded = "trials_succeeded"
    /// Half-open → open: a trial call failed or timed out.
    case trialFailed = "trial_failed"
    /// Half-open → open: the half-open period outlived its maximum duration (a probe never returned).
    case halfOpenDeadlineExceeded = "half_open_deadline_exceeded"
    /// → forced open, by ``CircuitBreaker/forceOpen()``.
    case forcedOpen = "forced_open"
    /// → disabled, by ``CircuitBreaker/disable()``.
    case disabled = "disabled"
    /// → closed, by ``CircuitBreaker/reset()``.
    case reset = "reset"
}

/// One change of state, as reported to monitors.
public struct StateTransition: Sendable, Hashable, CustomStringConvertible {
    /// The state left.
    public let from: CircuitState
    /// The state entered.
    public let to: CircuitState
    /// Why.
    public let reason: TransitionReason
    /// The number of the state period entered; it grows by one with every transition. Monitors that may see
    /// transitions of one breaker from several threads can order them by it.
    public let generation: UInt64
    /// When, in seconds since the Unix epoch.
    public let timestamp: Double
    /// For a transition to `open`: how long the breaker will wait before probing.
    public let openWait: Duration?
    /// The window's failure ratio when the transition happened (0 without a window or below its minimum calls).
    public let failureRatio: Double
    /// The window's slow-call ratio when the transition happened.
    public let slowCallRatio: Double

    /// Creates a transition record.
    public init(
        from: CircuitState,
        to: CircuitState,
        reason: TransitionReason,
        generation: UInt64,
        timestamp: Double,
        openWait: Duration?,
        failureRatio: Double,
        slowCallRatio: Double
    ) {
        self.from = from
        self.to = to
        self.reason = reason
        self.generation = generation
        self.timestamp = timestamp
        self.openWait = openWait
        self.failureRatio = failureRatio
        self.slowCallRatio = slowCallRatio
    }

    /// For example `closed → open (failure_ratio)`.
    public var description: String { "\(from) → \(to) (\(reason.rawValue))" }
}
