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
