/// Why a breaker changed state.
///
/// A struct with static values rather than an enum, so that reasons can be added without breaking code that
/// switches over them: compare with `==`, or read ``rawValue`` (the snake-case label of logs and events).
public struct TransitionReason: Sendable, Hashable, CustomStringConvertible, NamedChoice {
    enum Backing: String, Sendable, Hashable, CaseIterable {
        case consecutiveFailures = "consecutive_failures"
        case failureRatio = "failure_ratio"
        case slowCallRatio = "slow_call_ratio"
        case openWaitElapsed = "open_wait_elapsed"
        case trialsSucceeded = "trials_succeeded"
        case trialFailed = "trial_failed"
        case halfOpenDeadlineExceeded = "half_open_deadline_exceeded"
        case forcedOpen = "forced_open"
        case disabled = "disabled"
        case reset = "reset"
        case overrideExpired = "override_expired"
    }

    let backing: Backing

    init(backing: Backing) {
        self.backing = backing
    }

    /// The reason whose ``rawValue`` is `rawValue`, if there is one.
    public init?(rawValue: String) {
        self.init(named: rawValue)
    }

    /// Closed → open: the consecutive-failure threshold was reached.
    public static let consecutiveFailures = TransitionReason(backing: .consecutiveFailures)
    /// Closed → open: the failure ratio reached its threshold.
    public static let failureRatio = TransitionReason(backing: .failureRatio)
    /// Closed → open: the slow-call ratio reached its threshold.
    public static let slowCallRatio = TransitionReason(backing: .slowCallRatio)
    /// Open → half-open: the open wait elapsed (noticed by a call or by a read of the state).
    public static let openWaitElapsed = TransitionReason(backing: .openWaitElapsed)
    /// Half-open → closed: enough trial calls succeeded.
    public static let trialsSucceeded = TransitionReason(backing: .trialsSucceeded)
    /// Half-open → open: a trial call failed or timed out.
    public static let trialFailed = TransitionReason(backing: .trialFailed)
    /// Half-open → open: every trial slot was taken and the trials did not settle the breaker within
    /// ``HalfOpenPolicy/maximumDuration`` of the last one's admission (a probe never returned).
    public static let halfOpenDeadlineExceeded = TransitionReason(backing: .halfOpenDeadlineExceeded)
    /// → forced open, by ``CircuitBreaker/forceOpen()``.
    public static let forcedOpen = TransitionReason(backing: .forcedOpen)
    /// → disabled, by ``CircuitBreaker/disable()``.
    public static let disabled = TransitionReason(backing: .disabled)
    /// → closed, by ``CircuitBreaker/reset()``, a reset override, or an override cleared early.
    public static let reset = TransitionReason(backing: .reset)
    /// Forced open or disabled → closed: an operator's override ended (``BreakerOverride``), and the breaker
    /// returned to automatic control.
    public static let overrideExpired = TransitionReason(backing: .overrideExpired)

    /// Every reason this version knows.
    public static let allCases: [TransitionReason] = everyKnownValue

    /// The snake-case label: `consecutive_failures`, `open_wait_elapsed`, …
    public var rawValue: String { backing.rawValue }

    /// Same as ``rawValue``.
    public var description: String { rawValue }
}
