/// The per-policy store of closed-state outcomes.
@usableFromInline
enum OutcomeRecorder: Sendable {
    case consecutive(ConsecutiveFailureCounter, threshold: Int)
    case count(CountWindow, WindowPolicy)
    case time(TimeWindow, WindowPolicy)

    init(policy: TripPolicy, generation: UInt64, now: Int64) {
        switch policy {
        case .consecutiveFailures(let threshold):
            self = .consecutive(ConsecutiveFailureCounter(generation: generation), threshold: threshold)
        case .window(let windowPolicy):
            switch windowPolicy.window {
            case .count(let size):
                self = .count(CountWindow(size: size), windowPolicy)
            case .time(let duration, let buckets):
                self = .time(TimeWindow(duration: duration, buckets: buckets, now: now), windowPolicy)
            }
        }
    }

    /// Whether the window policy says the totals should trip the breaker, and why.
    static func verdict(_ totals: WindowTotals, _ policy: WindowPolicy) -> TransitionReason? {
        guard totals.calls >= policy.minimumCalls, totals.calls > 0 else { return nil }
        let calls = Double(totals.calls)
        if let threshold = policy.failureRatioThreshold, Double(totals.failures) >= threshold * calls {
            return .failureRatio
        }
        if let threshold = policy.slowCallRatioThreshold, Double(totals.slowCalls) >= threshold * calls {
            return .slowCallRatio
        }
        return nil
    }

    /// The window totals (empty for the consecutive-failure policy).
    func totals(now: Int64) -> WindowTotals {
        switch self {
        case .consecutive: .empty
        case .count(let window, _): window.totals
        case .time(let window, _): window.totals(now: now)
        }
    }

    /// The minimum number of calls before ratios count (1 for the consecutive-failure policy).
    var minimumCalls: Int {
        switch self {
        case .consecutive: 1
        case .count(_, let policy), .time(_, let policy): policy.minimumCalls
        }
    }

    /// Starts a new closed period.
    func reset(generation: UInt64, now: Int64) {
        switch self {
        case .consecutive(let counter, _): counter.reset(generation: generation)
        case .count(let window, _): window.reset()
        case .time(let window, _): window.reset(now: now)
        }
    }
}
