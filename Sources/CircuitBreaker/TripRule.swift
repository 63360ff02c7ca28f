import CircuitBreakerInternals

/// A trip policy made executable: its thresholds as plain values and the store of outcomes it judges, inline in
/// the breaker so that the per-call path reaches them without copying or reference counting anything.
///
/// The rule owns every policy's store; only the one its policy needs is sized (the others hold nothing). Adding a
/// policy touches three files: ``TripPolicy`` (its constructor and validation), this rule (the `Kind` and the
/// dispatch in ``record(failure:slow:generation:mayTrip:now:isCurrent:)``, ``totals(now:)`` and
/// ``reset(generation:now:)``), and the new store.
@usableFromInline
struct TripRule: ~Copyable, Sendable {
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
    let consecutiveFailureThreshold: Int
    /// For the windows: ratios count from this many calls on.
    @usableFromInline
    let minimumCalls: Int
    /// Failure-ratio threshold, or infinity when the policy has none.
    @usableFromInline
    let failureRatio: Double
    /// Slow-call-ratio threshold, or infinity when the policy has none.
    @usableFromInline
    let slowCallRatio: Double

    @usableFromInline
    let consecutiveFailures: ConsecutiveFailureCounter
    @usableFromInline
    let countWindow: CountWindow
    @usableFromInline
    let timeWindow: TimeWindow

    /// The rule of `policy`, its store starting at generation `generation` and monotonic time `now`.
    init(_ policy: TripPolicy, generation: UInt64, now: Int64) {
        var countSize = 0
        var timeSpan = Duration.seconds(1)
        var buckets = 0
        switch policy.kind {
        case .consecutiveFailures(let threshold):
            kind = .consecutiveFailures
            consecutiveFailureThreshold = threshold
            minimumCalls = 1
            failureRatio = .infinity
            slowCallRatio = .infinity
        case .window(let window):
            switch window.window.kind {
            case .count(let size):
                kind = .countWindow
                countSize = size
            case .time(let duration, let count):
                kind = .timeWindow
                (timeSpan, buckets) = (duration, count)
            }
            consecutiveFailureThreshold = .max
            minimumCalls = window.minimumCalls
            failureRatio = window.failureRatioThreshold ?? .infinity
            slowCallRatio = window.slowCallRatioThreshold ?? .infinity
        }
        consecutiveFailures = ConsecutiveFailureCounter(generation: generation)
        countWindow = CountWindow(size: countSize)
        timeWindow = TimeWindow(duration: timeSpan, buckets: buckets, now: now)
    }

    /// Records the outcome of a call admitted in `generation` and returns why the breaker should trip, if it
    /// should (only when `mayTrip`: the call was admitted while closed). `now` reads the coarse clock, only for
    /// the stores that need it; `isCurrent` says whether the breaker is still in the call's state period (a late
    /// outcome of an earlier period is not recorded in a window).
    @inlinable
    func record(
        failure: Bool,
        slow: Bool,
        generation: UInt64,
        mayTrip: Bool,
        now: () -> Int64,
        isCurrent: () -> Bool
    ) -> TransitionReason? {
        switch kind {
        case .consecutiveFailures:
            guard failure else {
                consecutiveFailures.recordSuccess(generation: generation)
                return nil
            }
            let count = consecutiveFailures.recordFailure(generation: generation)
            if mayTrip, let count, count >= consecutiveFailureThreshold { return .consecutiveFailures }
            return nil
        case .countWindow:
            guard isCurrent() else { return nil }
            countWindow.record(failure: failure, slow: slow)
            return mayTrip && (failure || slow) ? verdict(countWindow.totals) : nil
        case .timeWindow:
            guard isCurrent() else { return nil }
            let time = now()
            timeWindow.record(now: time, failure: failure, slow: slow)
            return mayTrip && (failure || slow) ? verdict(timeWindow.totals(now: time)) : nil
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

    /// The totals of the policy's window (empty for the consecutive-failure policy).
    func totals(now: Int64) -> WindowTotals {
        switch kind {
        case .consecutiveFailures: .empty
        case .countWindow: countWindow.totals
        case .timeWindow: timeWindow.totals(now: now)
        }
    }

    /// ``totals(now:)``, and the coarse time until which they cannot change without a call (`Int64.max` unless
    /// the window slides with time: see ``TimeWindow/totalsAndStability(now:)``).
    func totalsAndStability(now: Int64) -> (totals: WindowTotals, stableUntil: Int64) {
        switch kind {
        case .consecutiveFailures: (.empty, .max)
        case .countWindow: (countWindow.totals, .max)
        case .timeWindow: timeWindow.totalsAndStability(now: now)
        }
    }

    /// Failures in a row in `generation` (consecutive-failure policy; 0 otherwise).
    func consecutiveFailureCount(generation: UInt64) -> Int {
        kind == .consecutiveFailures ? consecutiveFailures.count(generation: generation) : 0
    }

    /// Starts a new period of the policy's store: called under the breaker's lock at a transition to closed or
    /// disabled.
    func reset(generation: UInt64, now: Int64) {
        switch kind {
        case .consecutiveFailures: consecutiveFailures.reset(generation: generation)
        case .countWindow: countWindow.reset()
        case .timeWindow: timeWindow.reset(now: now)
        }
    }
}
