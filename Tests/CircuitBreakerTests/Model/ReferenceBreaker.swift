import CircuitBreaker

/// A deliberately plain, sequential model of a breaker, written from the Semantics article
/// (Sources/CircuitBreaker/Documentation.docc/Semantics.md), not from the implementation: explicit time, no
/// atomics, no laziness. Every transition is made the moment it becomes due (``advance(to:)``), which is what the
/// article promises the real breaker looks like, whoever notices first.
struct ReferenceBreaker {
    /// A breaker-level event, as the monitors must hear it.
    enum Event: Equatable, CustomStringConvertible {
        case transition(Transition)
        case overrideApplied(BreakerOverride.Action)
        case overrideEnded(BreakerOverride.Action, expired: Bool)
        case reset

        var description: String {
            switch self {
            case .transition(let transition): transition.description
            case .overrideApplied(let action): "override \(action) applied"
            case .overrideEnded(let action, let expired): "override \(action) ended\(expired ? " (expired)" : "")"
            case .reset: "reset"
            }
        }
    }

    /// A transition as the article defines it.
    struct Transition: Equatable, CustomStringConvertible {
        var from: CircuitState
        var to: CircuitState
        var reason: TransitionReason
        var generation: UInt64
        /// When it is dated (monotonic nanoseconds).
        var at: Int64
        var openWait: Duration?
        var failureRatio: Double
        var slowCallRatio: Double

        var description: String {
            "\(from)→\(to) (\(reason.rawValue)) gen \(generation) at \(at) ns"
                + (openWait.map { " wait \($0.nanosecondsValue) ns" } ?? "")
                + " ratios \(failureRatio)/\(slowCallRatio)"
        }
    }

    /// What a monitor counts, call by call.
    struct CallCounts: Equatable {
        var successes = 0
        var failures = 0
        var ignored = 0
        var timeouts = 0
        var rejections: [CircuitState: Int] = [:]
        var shadowRejections: [CircuitState: Int] = [:]
        var slowCalls = 0
    }

    /// An admitted call, until its outcome.
    struct Call {
        /// The period it was admitted in; nil for a call a shadow breaker ran instead of rejecting.
        let generation: UInt64?
        let state: CircuitState
        let admittedAt: Int64
    }

    /// The result of asking to run a call.
    enum Admission: Equatable {
        case admitted
        case rejected(CircuitState, retryAfter: Duration?)
        case shadowAdmitted
    }

    enum Outcome: String, CaseIterable {
        case success, failure, ignored, timeout
    }

    // Configuration, as the article reads it.
    let configuration: CircuitBreaker.Configuration
    let wallClockOrigin: Double
    /// Jitter draws, one per transition to open, in order.
    var randomDraws: [Double]
    private var drawsUsed = 0

    // The state.
    private(set) var now: Int64 = 0
    private(set) var state: CircuitState = .closed
    private(set) var generation: UInt64 = 1
    private var openUntil: Int64 = 0
    private var consecutiveReopens = 0
    // Half-open.
    private var slotsTaken = 0
    private var trialSuccesses = 0
    private var lastTrialAdmitted: Int64 = 0
    // The trip policy's store, since it was last emptied.
    private var streak = 0
    private var outcomes: [(time: Int64, failure: Bool, slow: Bool)] = []
    // Overrides.
    private var override: BreakerOverride?
    private var overrideEnd: Int64 = .max
    // Time in state.
    private var finished: [CircuitState: Int64] = [:]
    private var periodStart: Int64 = 0
    private(set) var lastTransitionTimestamp: Double
    private(set) var lastTransition: Transition?

    // What the monitors must have heard.
    private(set) var events: [Event] = []
    private(set) var counts = CallCounts()

    init(configuration: CircuitBreaker.Configuration, wallClockOrigin: Double, randomDraws: [Double]) {
        self.configuration = configuration
        self.wallClockOrigin = wallClockOrigin
        self.randomDraws = randomDraws
        self.lastTransitionTimestamp = wallClockOrigin
    }

    // MARK: Time

    /// The wall clock of a manual clock at `time`.
    func wallClock(at time: Int64) -> Double { wallClockOrigin + Double(time) / 1e9 }

    /// The next moment at which time alone makes a transition due, if any.
    var nextDue: Int64? {
        switch state {
        case .open: openUntil
        case .halfOpen: trialDeadline
        case .forcedOpen, .disabled: overrideEnd == .max ? nil : overrideEnd
        case .closed: nil
        }
    }

    private var trialDeadline: Int64? {
        slotsTaken >= configuration.halfOpen.trialCalls
            ? lastTrialAdmitted + configuration.halfOpen.maximumDuration.nanosecondsValue : nil
    }

    /// Moves time to `time`, making every transition that becomes due on the way, at the moment it does.
    mutating func advance(to time: Int64) {
        while let due = nextDue, due <= time {
            now = max(now, due)
            switch state {
            case .open:
                transition(to: .halfOpen, reason: .openWaitElapsed)
            case .halfOpen:
                consecutiveReopens += 1
                transition(to: .open, reason: .halfOpenDeadlineExceeded)
            default:
                endOverride(expired: true)
                transition(to: .closed, reason: .overrideExpired)
            }
        }
        now = max(now, time)
    }

    // MARK: Calls

    /// A call asks to run at the current time.
    mutating func admit() -> (Admission, Call?) {
        switch state {
        case .closed, .disabled:
            return (.admitted, Call(generation: generation, state: state, admittedAt: now))
        case .halfOpen where slotsTaken < configuration.halfOpen.trialCalls:
            slotsTaken += 1
            lastTrialAdmitted = now
            return (.admitted, Call(generation: generation, state: state, admittedAt: now))
        case .open, .halfOpen, .forcedOpen:
            let retryAfter: Duration? =
                switch state {
                case .open: .nanoseconds(openUntil - now)
                case .halfOpen: .zero
                default: nil
                }
            if configuration.enforcement == .shadow {
                counts.shadowRejections[state, default: 0] += 1
                return (.shadowAdmitted, Call(generation: nil, state: state, admittedAt: now))
            }
            counts.rejections[state, default: 0] += 1
            return (.rejected(state, retryAfter: retryAfter), nil)
        }
    }

    /// A call admitted earlier ends now with `outcome`.
    mutating func finish(_ call: Call, _ outcome: Outcome) {
        let slow = configuration.slowCallThreshold.map { now - call.admittedAt > $0.nanosecondsValue } ?? false
        switch outcome {
        case .success: counts.successes += 1
        case .failure: counts.failures += 1
        case .ignored: counts.ignored += 1
        case .timeout: counts.timeouts += 1
        }
        if slow && outcome != .ignored { counts.slowCalls += 1 }
        // A late result, or a call a shadow breaker ran instead of rejecting: reported, and nothing more.
        guard let callGeneration = call.generation, callGeneration == generation else { return }
        switch call.state {
        case .halfOpen:
            switch outcome {
            case .ignored:
                slotsTaken -= 1
            case .success:
                trialSuccesses += 1
                if trialSuccesses >= configuration.halfOpen.requiredSuccesses {
                    transition(to: .closed, reason: .trialsSucceeded)
                }
            case .failure, .timeout:
                consecutiveReopens += 1
                transition(to: .open, reason: .trialFailed)
            }
        case .closed, .disabled:
            guard outcome != .ignored else { return }
            let failure = outcome != .success
            record(failure: failure, slow: slow)
            if call.state == .closed, let reason = tripReason(failure: failure, slow: slow) {
                transition(to: .open, reason: reason)
            }
        default:
            break
        }
    }

    private mutating func record(failure: Bool, slow: Bool) {
        streak = failure ? streak + 1 : 0
        outcomes.append((now, failure, slow))
        if let size = configuration.trip.windowPolicy?.window.size, outcomes.count > size {
            outcomes.removeFirst(outcomes.count - size)
        }
    }

    private func tripReason(failure: Bool, slow: Bool) -> TransitionReason? {
        if let threshold = configuration.trip.consecutiveFailureThreshold {
            return failure && streak >= threshold ? .consecutiveFailures : nil
        }
        guard let policy = configuration.trip.windowPolicy, failure || slow else { return nil }
        let totals = windowTotals
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

    /// What the window holds now.
    var windowTotals: (calls: Int, failures: Int, slowCalls: Int) {
        guard let window = configuration.trip.windowPolicy?.window else { return (0, 0, 0) }
        var held = outcomes[...]
        if let duration = window.duration, let buckets = window.buckets {
            let width = max(duration.nanosecondsValue / Int64(buckets), 1)
            let oldest = now / width - Int64(buckets) + 1
            held = held.filter { $0.time / width >= oldest }
        }
        return (held.count, held.filter(\.failure).count, held.filter(\.slow).count)
    }

    var ratios: (failure: Double, slow: Double) {
        let totals = windowTotals
        let minimum = configuration.trip.windowPolicy?.minimumCalls ?? 1
        guard totals.calls > 0, totals.calls >= minimum else { return (0, 0) }
        return (Double(totals.failures) / Double(totals.calls), Double(totals.slowCalls) / Double(totals.calls))
    }

    var consecutiveFailures: Int {
        configuration.trip.consecutiveFailureThreshold != nil && (state == .closed || state == .disabled) ? streak : 0
    }

    // MARK: Operators

    mutating func forceOpen() {
        endOverride(expired: false)
        move(to: .forcedOpen, reason: .forcedOpen)
    }

    mutating func disable() {
        endOverride(expired: false)
        move(to: .disabled, reason: .disabled)
    }

    mutating func reset() {
        endOverride(expired: false)
        move(to: .closed, reason: .reset)
        events.append(.reset)
    }

    /// An override of `action` until `expiresAt` on the wall clock.
    mutating func apply(_ applied: BreakerOverride) {
        let remaining = applied.expiresAt - wallClock(at: now)
        guard applied.action == .reset || remaining > 0 else { return }
        endOverride(expired: false)
        switch applied.action {
        case .forceOpen: move(to: .forcedOpen, reason: .forcedOpen)
        case .disable: move(to: .disabled, reason: .disabled)
        default: move(to: .closed, reason: .reset)
        }
        if applied.action != .reset {
            override = applied
            overrideEnd = now + Int64(min(remaining * 1e9, Double(Int64.max / 2)))
        }
        events.append(.overrideApplied(applied.action))
        if applied.action == .reset { events.append(.reset) }
    }

    mutating func clearOverride() -> BreakerOverride.Action? {
        guard let active = override else { return nil }
        endOverride(expired: false)
        move(to: .closed, reason: .reset)
        return active.action
    }

    var activeOverride: BreakerOverride? { override }

    /// A dependency's `Retry-After`: an open breaker stays open at least `delay` (capped at a day) from now.
    mutating func holdOpen(for delay: Int64) {
        let capped = min(delay, 86_400 * 1_000_000_000)
        guard capped > 0, state == .open else { return }
        openUntil = max(openUntil, now + capped)
    }

    private mutating func endOverride(expired: Bool) {
        overrideEnd = .max
        guard let ended = override else { return }
        override = nil
        events.append(.overrideEnded(ended.action, expired: expired))
    }

    /// An operator's move: a transition, unless the breaker is in that state already; a reset of a closed breaker
    /// starts a fresh period silently.
    private mutating func move(to target: CircuitState, reason: TransitionReason) {
        if state == target {
            if target == .closed {
                generation += 1
                emptyStore()
            }
            return
        }
        transition(to: target, reason: reason)
    }

    // MARK: Transitions

    private mutating func emptyStore() {
        streak = 0
        outcomes = []
    }

    /// Enters `target` now.
    private mutating func transition(to target: CircuitState, reason: TransitionReason) {
        let from = state
        var wait: Duration?
        let (failureRatio, slowRatio) = ratios
        switch target {
        case .open:
            let waited = openWait(random: nextDraw())
            openUntil = now + waited.nanosecondsValue
            wait = waited
        case .halfOpen:
            slotsTaken = 0
            trialSuccesses = 0
        case .closed, .disabled:
            if target == .closed { consecutiveReopens = 0 }
            emptyStore()
        case .forcedOpen:
            break
        }
        finished[from, default: 0] += now - periodStart
        periodStart = now
        state = target
        generation += 1
        lastTransitionTimestamp = wallClock(at: now)
        let made = Transition(
            from: from, to: target, reason: reason, generation: generation, at: now, openWait: wait,
            failureRatio: failureRatio, slowCallRatio: slowRatio
        )
        lastTransition = made
        events.append(.transition(made))
    }

    private mutating func nextDraw() -> Double {
        defer { drawsUsed += 1 }
        return drawsUsed < randomDraws.count ? randomDraws[drawsUsed] : 0.5
    }

    /// The article's open wait: the initial wait, multiplied for each consecutive reopen up to the maximum, then
    /// spread by the jitter; at least 1 ns.
    private func openWait(random: Double) -> Duration {
        let wait = configuration.openWait
        var nanos = Double(wait.initial.nanosecondsValue)
        let maximum = Double(wait.maximum.nanosecondsValue)
        var reopens = consecutiveReopens
        while reopens > 0 && nanos < maximum && wait.multiplier > 1 {
            nanos *= wait.multiplier
            reopens -= 1
        }
        nanos = min(nanos, maximum)
        if wait.jitter > 0 { nanos *= 1 + wait.jitter * (2 * random - 1) }
        return .nanoseconds(Int64(max(nanos, 1)))
    }

    // MARK: Reads

    /// Time in each state, the current period up to now.
    func timeInState(_ state: CircuitState) -> Int64 {
        (finished[state] ?? 0) + (state == self.state ? now - periodStart : 0)
    }

    var timeInCurrentState: Int64 { now - periodStart }

    var retryAfter: Duration? { state == .open ? .nanoseconds(max(openUntil - now, 0)) : nil }

    var reopens: Int { consecutiveReopens }
}

extension Duration {
    /// The duration in whole nanoseconds (tests only).
    var nanosecondsValue: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
