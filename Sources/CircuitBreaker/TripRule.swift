/// The trip policy flattened into plain values, so that the per-call path reads it without copying or reference
/// counting anything.
@usableFromInline
struct TripRule: Sendable {
    @usableFromInline
    enum Kind: UInt8, Sendable {
        case consecutiveFailures
        case countWindow
        case timeWindow
    }

    @usableFromInline
    let kind: Kind
    /// For `consecutiveFailures`.
    @usableFromInline
    let consecutiveFailures: Int
    /// For the windows: ratios count from this many calls on.
    @usableFromInline
    let minimumCalls: Int
    /// Failure-ratio threshold, or infinity when the policy has none.
    @usableFromInline
    let failureRatio: Double
    /// Slow-call-ratio threshold, or infinity when the policy has none.
    @usableFromInline
    let slowCallRatio: Double

    init(_ policy: TripPolicy) {
        switch policy {
        case .consecutiveFailures(let threshold):
            kind = .consecutiveFailures
            consecutiveFailures = threshold
            minimumCalls = 1
            failureRatio = .infinity
            slowCallRatio = .infinity
        case .window(let window):
            switch window.window {
            case .count: kind = .countWindow
            case .time: kind = .timeWindow
            }
            consecutiveFailures = .max
            minimumCalls = window.minimumCalls
            failureRatio = window.failureRatioThreshold ?? .infinity
            slowCallRatio = window.slowCallRatioThreshold ?? .infinity
        }
    }

    /// Whether the window's totals trip the breaker, and why.
    @usableFromInline
    func verdict(_ totals: WindowTotals) -> TransitionReason? {
        guard totals.calls >= minimumCalls, totals.calls > 0 else { return nil }
        let calls = Double(totals.calls)
        if Double(totals.failures) >= failureRatio * calls { return .failureRatio }
        if Double(totals.slowCalls) >= slowCallRatio * calls { return .slowCallRatio }
        return nil
    }
}
