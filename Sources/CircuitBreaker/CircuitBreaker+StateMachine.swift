import CircuitBreakerInternals
import Synchronization

// The slow paths: every change of state happens here, under `machine`'s lock, and is reported to the monitors
// after the lock is released.
extension CircuitBreaker {
    /// Admission when the breaker is not closed (or was not when the caller looked).
    @usableFromInline
    func admitSlow(_ observed: ControlWord) -> Admission {
        var word = observed
        while true {
            switch word.state {
            case .closed:
                return .admitted(Permit(word: word, start: startTime()))
            case .disabled, .forcedOpen:
                if overrideUntil.load(ordering: .relaxed) != .max {
                    // An override may have ended: settle it as a read would, and look again.
                    let settled = settledWord()
                    if settled != word {
                        word = settled
                        continue
                    }
                }
                if word.state == .disabled { return .admitted(Permit(word: word, start: startTime())) }
                return refusal(in: .forcedOpen, retryAfter: nil)
            case .open:
                let now = clock.coarseNanoseconds()
                let until = openUntil.load(ordering: .relaxed)
                if now < until {
                    return refusal(in: .open, retryAfter: .nanoseconds(until - now))
                }
                let (permit, transition, current) = machine.withLock { machine in
                    let current = ControlWord(rawValue: control.load(ordering: .relaxed))
                    guard current == word else { return (Permit?.none, StateTransition?.none, current) }
                    let transition = becomeReadyToProbe(&machine, current, now: now)
                    machine.trialsAdmitted = 1
                    let next = current.advanced(to: .halfOpen)
                    return (Permit(word: next, start: 0), transition, next)
                }
                if let transition { report(transition) }
                if let permit { return .admitted(Permit(word: permit.word, start: startTime())) }
                word = current
            case .halfOpen:
                let now = clock.coarseNanoseconds()
                let trialCalls = configuration.halfOpen.trialCalls
                let (admitted, transition, current) = machine.withLock { machine in
                    let current = ControlWord(rawValue: control.load(ordering: .relaxed))
                    guard current == word else { return (false, StateTransition?.none, current) }
                    if machine.trialsAdmitted < trialCalls {
                        machine.trialsAdmitted += 1
                        return (true, nil, current)
                    }
                    let transition = reopenIfTrialsOverran(&machine, current, now: now)
                    return (false, transition, transition == nil ? current : current.advanced(to: .open))
                }
                if admitted { return .admitted(Permit(word: word, start: startTime())) }
                if let transition {
                    report(transition)
                    return refusal(in: .open, retryAfter: transition.openWait)
                }
                if current != word {
                    word = current
                    continue
                }
                return refusal(in: .halfOpen, retryAfter: .zero)
            }
        }
    }

    /// Half-open → open when every trial slot is taken and the half-open deadline has passed: the trial calls
    /// never settled (a probe that never returns), so the breaker must not wait for them forever. Under the lock.
    private func reopenIfTrialsOverran(
        _ machine: inout MachineState,
        _ current: ControlWord,
        now: Int64
    ) -> StateTransition? {
        guard machine.trialsAdmitted >= configuration.halfOpen.trialCalls, now >= machine.halfOpenDeadline else {
            return nil
        }
        machine.consecutiveReopens += 1
        // Dated when the deadline passed, not when a call or a read noticed it.
        let due = min(now, machine.halfOpenDeadline)
        return performTransition(&machine, from: current, to: .open, reason: .halfOpenDeadlineExceeded, now: due)
    }

    /// Open → half-open once the open wait has elapsed, dated when it elapsed rather than when a call or a read
    /// noticed it, so the time in each state does not depend on when the breaker was next looked at. Under the
    /// lock.
    private func becomeReadyToProbe(_ machine: inout MachineState, _ current: ControlWord, now: Int64) -> StateTransition {
        let due = min(now, openUntil.load(ordering: .relaxed))
        return performTransition(&machine, from: current, to: .halfOpen, reason: .openWaitElapsed, now: due)
    }

    /// The control word after the transitions that time alone makes due, which the next call would make: open →
    /// half-open once the open wait has elapsed (without admitting a trial), half-open → open once the trial
    /// calls overran the half-open deadline. Makes them, reports them, and returns the word.
    func settledWord() -> ControlWord {
        while true {
            let word = ControlWord(rawValue: control.load(ordering: .acquiring))
            let now: Int64
            switch word.state {
            case .open:
                now = clock.coarseNanoseconds()
                if now < openUntil.load(ordering: .relaxed) { return word }
            case .halfOpen:
                now = clock.coarseNanoseconds()
            case .forcedOpen, .disabled:
                now = clock.coarseNanoseconds()
                if now < overrideUntil.load(ordering: .relaxed) { return word }
            case .closed:
                return word
            }
            let (transition, ended, current) = machine.withLock {
                machine -> (StateTransition?, BreakerOverride?, ControlWord) in
                let current = ControlWord(rawValue: control.load(ordering: .relaxed))
                guard current == word else { return (nil, nil, current) }
                switch word.state {
                case .open:
                    return (becomeReadyToProbe(&machine, current, now: now), nil, current)
                case .halfOpen:
                    return (reopenIfTrialsOverran(&machine, current, now: now), nil, current)
                default:
                    return endExpiredOverride(&machine, current, now: now).map { ($0.0, $0.1, current) }
                        ?? (nil, nil, current)
                }
            }
            guard let transition else {
                // Nothing was due, or another thread moved the breaker first: report what it is now.
                if current == word { return word }
                continue
            }
            report(transition)
            if let ended, hasMonitors { monitor.overrideEnded(self, override: ended, expired: true) }
        }
    }

    /// What a call the breaker refuses gets: a rejection, or, in shadow mode, an admission that records nothing
    /// (after the monitors heard that the call would have been rejected).
    @usableFromInline
    func refusal(in state: CircuitState, retryAfter: Duration?) -> Admission {
        guard enforcing else {
            if hasCallMonitors { callMonitor.callShadowRejected(self, state: state) }
            return .admitted(Permit(word: .shadow, start: startTime()))
        }
        return .rejected(rejection(in: state, retryAfter: retryAfter))
    }

    /// Reports a rejection to the monitors and returns the error to throw.
    @usableFromInline
    func rejection(in state: CircuitState, retryAfter: Duration?) -> CallRejectedError {
        if hasCallMonitors { callMonitor.callRejected(self, state: state) }
        return CallRejectedError(breakerName: name, state: state, retryAfter: retryAfter)
    }

    /// Closed → open, if the breaker is still in the period `permit` was admitted in.
    @usableFromInline
    func trip(_ permit: Permit, reason: TransitionReason) {
        let now = clock.coarseNanoseconds()
        let transition = machine.withLock { machine -> StateTransition? in
            let current = ControlWord(rawValue: control.load(ordering: .relaxed))
            guard current == permit.word, current.isClosed else { return nil }
            return performTransition(&machine, from: current, to: .open, reason: reason, now: now)
        }
        if let transition { report(transition) }
    }

    /// The outcome of a trial call (admitted in half-open): `failure` is nil for an ignored call, which frees its
    /// trial slot.
    @usableFromInline
    func settleTrial(_ permit: Permit, failure: Bool?) {
        let now = clock.coarseNanoseconds()
        let transition = machine.withLock { machine -> StateTransition? in
            let current = ControlWord(rawValue: control.load(ordering: .relaxed))
            guard current == permit.word else { return nil }
            switch failure {
            case nil:
                machine.trialsAdmitted -= 1
                return nil
            case false?:
                machine.trialSuccesses += 1
                guard machine.trialSuccesses >= configuration.halfOpen.requiredSuccesses else { return nil }
                return performTransition(&machine, from: current, to: .closed, reason: .trialsSucceeded, now: now)
            case true?:
                machine.consecutiveReopens += 1
                return performTransition(&machine, from: current, to: .open, reason: .trialFailed, now: now)
            }
        }
        if let transition { report(transition) }
    }

    /// The totals of the policy's window (empty for the consecutive-failure policy).
    func windowTotals(now: Int64) -> WindowTotals {
        rule.totals(now: now)
    }

    /// Operator transitions.
    func changeStateManually(to state: CircuitState, reason: TransitionReason) {
        let (transition, ended) = machine.withLock { machine in
            (moveManually(&machine, to: state, reason: reason), takeOverride(&machine))
        }
        if let transition { report(transition) }
        if let ended, hasMonitors { monitor.overrideEnded(self, override: ended, expired: false) }
    }

    /// An operator's move to `state`, under the lock: a transition unless the breaker is in that state already
    /// (a reset of a closed breaker starts a fresh period without reporting one).
    func moveManually(_ machine: inout MachineState, to state: CircuitState, reason: TransitionReason) -> StateTransition? {
        let now = clock.coarseNanoseconds()
        let current = ControlWord(rawValue: control.load(ordering: .relaxed))
        if current.state == state {
            guard state == .closed else { return nil }
            let next = current.advanced(to: .closed)
            rule.reset(generation: next.generation, now: now)
            control.store(next.rawValue, ordering: .releasing)
            return nil
        }
        return performTransition(&machine, from: current, to: state, reason: reason, now: now)
    }

    /// Removes the active override, if any, under the lock, and returns it.
    func takeOverride(_ machine: inout MachineState) -> BreakerOverride? {
        overrideUntil.store(.max, ordering: .relaxed)
        defer { machine.activeOverride = nil }
        return machine.activeOverride
    }

    /// Forced open or disabled → closed when the active override has ended by `now`, under the lock; the
    /// transition and the override that ended.
    private func endExpiredOverride(
        _ machine: inout MachineState,
        _ current: ControlWord,
        now: Int64
    ) -> (StateTransition, BreakerOverride)? {
        let until = overrideUntil.load(ordering: .relaxed)
        guard now >= until, let ended = takeOverride(&machine) else { return nil }
        // Dated when the override ended, not when a call or a read noticed it.
        let transition = performTransition(&machine, from: current, to: .closed, reason: .overrideExpired, now: until)
        return (transition, ended)
    }

    /// Moves to `state` and publishes the new control word. Must run under `machine`'s lock with `current` the
    /// control word read under it.
    func performTransition(
        _ machine: inout MachineState,
        from current: ControlWord,
        to state: CircuitState,
        reason: TransitionReason,
        now: Int64
    ) -> StateTransition {
        let next = current.advanced(to: state)
        let ratios = windowTotals(now: now).ratios(minimumCalls: rule.minimumCalls)
        var openWait: Duration?
        switch state {
        case .open:
            let wait = configuration.openWait.wait(
                afterReopens: machine.consecutiveReopens,
                random: Double.random(in: 0..<1)
            )
            openUntil.store(now &+ wait.nanoseconds, ordering: .relaxed)
            openWait = wait
        case .halfOpen:
            machine.trialsAdmitted = 0
            machine.trialSuccesses = 0
            machine.halfOpenDeadline = now &+ configuration.halfOpen.maximumDuration.nanoseconds
        case .closed, .disabled:
            if state == .closed { machine.consecutiveReopens = 0 }
            rule.reset(generation: next.generation, now: now)
        case .forcedOpen:
            break
        }
        // A transition made late (dated `now`, earlier than the clock: see `becomeReadyToProbe`) gets the wall-clock
        // time it was due.
        let lateness = max(clock.coarseNanoseconds() &- now, 0)
        let timestamp = clock.wallClockSeconds() - Double(lateness) / 1e9
        machine.lastTransitionTimestamp = timestamp
        machine.stateTimes.closePeriod(of: current.state, now: now)
        control.store(next.rawValue, ordering: .releasing)
        let transition = StateTransition(
            from: current.state,
            to: state,
            reason: reason,
            generation: next.generation,
            timestamp: timestamp,
            openWait: openWait,
            failureRatio: ratios.failure,
            slowCallRatio: ratios.slow
        )
        machine.lastTransition = transition
        return transition
    }

    /// Tells the monitors about a transition.
    func report(_ transition: StateTransition) {
        if hasMonitors { monitor.stateChanged(self, transition: transition) }
    }
}
