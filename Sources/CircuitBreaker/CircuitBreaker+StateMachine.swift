import CircuitBreakerInternals
import Synchronization

// The slow paths: every change of state happens here, under `machine`'s lock, and is queued for the monitors
// (``BreakerEventOutbox``), which hear of it after the lock is released, in order.
//
// The rules are the core's Semantics article (Documentation.docc/Semantics.md). The Promela model of this file's
// admission protocol is Verification/admission.pml, with a mapping from each of its steps to the lines here in
// Verification/MAPPING.md: review that mapping, and rerun `make spin`, whenever this file changes.
extension CircuitBreaker {
    /// Admission when the breaker is not closed (or was not when the caller looked).
    ///
    /// Without the lock when nothing can be due: an open breaker within its wait rejects, a forced-open or
    /// disabled one without an expired override rejects or admits. Otherwise, under the lock, the transitions that
    /// time has made due are made first, and the call meets the state that results.
    @usableFromInline
    func admitSlow(_ observed: ControlWord) -> Admission {
        let now = clock.coarseNanoseconds()
        switch observed.state {
        case .closed:
            return .admitted(Permit(word: observed, start: startTime()))
        case .open:
            let until = openUntil.load(ordering: .relaxed)
            if now < until { return refusal(in: .open, retryAfter: .nanoseconds(until - now)) }
        case .disabled, .forcedOpen:
            if now < overrideUntil.load(ordering: .relaxed) {
                if observed.state == .disabled { return .admitted(Permit(word: observed, start: startTime())) }
                return refusal(in: .forcedOpen, retryAfter: nil)
            }
        case .halfOpen:
            break
        }
        let trialCalls = configuration.halfOpen.trialCalls
        let decision = transact { machine -> AdmissionDecision in
            makeDueTransitions(&machine, now: now)
            let current = ControlWord(rawValue: control.load(ordering: .relaxed))
            switch current.state {
            case .closed, .disabled:
                return .admit(current)
            case .forcedOpen:
                return .refuse(.forcedOpen, retryAfter: nil)
            case .open:
                return .refuse(.open, retryAfter: .nanoseconds(max(openUntil.load(ordering: .relaxed) - now, 0)))
            case .halfOpen:
                guard machine.trialsAdmitted < trialCalls else { return .refuse(.halfOpen, retryAfter: .zero) }
                machine.trialsAdmitted += 1
                machine.lastTrialAdmitted = max(machine.lastTrialAdmitted, now)
                return .admit(current)
            }
        }
        switch decision {
        case .admit(let word): return .admitted(Permit(word: word, start: startTime()))
        case .refuse(let state, let retryAfter): return refusal(in: state, retryAfter: retryAfter)
        }
    }

    /// Makes every transition that time alone has made due by `now`, in order, each dated when it became due:
    /// open → half-open once the open wait has elapsed (without admitting a trial), half-open → open once the
    /// trials overran their time, forced open or disabled → closed once the override has expired. After a long
    /// idle that can be a reopen and then half-open again. Under the lock.
    func makeDueTransitions(_ machine: inout MachineState, now: Int64) {
        while true {
            let current = ControlWord(rawValue: control.load(ordering: .relaxed))
            switch current.state {
            case .closed:
                return
            case .open:
                let until = openUntil.load(ordering: .relaxed)
                guard now >= until else { return }
                // Dated when the wait elapsed, not when a call or a read noticed it, so the time in each state
                // does not depend on when the breaker was next looked at.
                performTransition(&machine, from: current, to: .halfOpen, reason: .openWaitElapsed, now: until)
            case .halfOpen:
                // Every slot taken and the trials' time up: `maximumDuration` from the last one's admission, so
                // every trial has at least that long, however long the breaker sat idle before it came, and a
                // probe that never returns cannot wedge the breaker.
                guard let due = machine.trialDeadline(configuration.halfOpen), now >= due else { return }
                machine.consecutiveReopens += 1
                performTransition(&machine, from: current, to: .open, reason: .halfOpenDeadlineExceeded, now: due)
            case .forcedOpen, .disabled:
                let until = overrideUntil.load(ordering: .relaxed)
                guard now >= until, endOverride(&machine, expired: true) else { return }
                performTransition(&machine, from: current, to: .closed, reason: .overrideExpired, now: until)
            }
        }
    }

    /// The control word after the transitions that time alone has made due, which the next call would make
    /// (``makeDueTransitions(_:now:)``): makes them, has them reported, and returns the word. Takes the lock only
    /// when something may be due.
    @usableFromInline
    func settledWord() -> ControlWord {
        let word = ControlWord(rawValue: control.load(ordering: .acquiring))
        let now: Int64
        switch word.state {
        case .closed:
            return word
        case .open:
            now = clock.coarseNanoseconds()
            if now < openUntil.load(ordering: .relaxed) { return word }
        case .forcedOpen, .disabled:
            now = clock.coarseNanoseconds()
            if now < overrideUntil.load(ordering: .relaxed) { return word }
        case .halfOpen:
            now = clock.coarseNanoseconds()
        }
        return transact { machine in
            makeDueTransitions(&machine, now: now)
            return ControlWord(rawValue: control.load(ordering: .relaxed))
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
        transact { machine in
            let current = ControlWord(rawValue: control.load(ordering: .relaxed))
            guard current == permit.word, current.isClosed else { return }
            performTransition(&machine, from: current, to: .open, reason: reason, now: now)
        }
    }

    /// The outcome of a trial call (admitted in half-open): `failure` is nil for an ignored call, which frees its
    /// trial slot. The transitions that are due are made first: an outcome that arrives after the trials' time was
    /// up belongs to a period that ended then (the breaker reopened, dated at that moment), and counts for nothing.
    @usableFromInline
    func settleTrial(_ permit: Permit, failure: Bool?) {
        let now = clock.coarseNanoseconds()
        transact { machine in
            makeDueTransitions(&machine, now: now)
            let current = ControlWord(rawValue: control.load(ordering: .relaxed))
            guard current == permit.word else { return }
            switch failure {
            case nil:
                machine.trialsAdmitted -= 1
            case false?:
                machine.trialSuccesses += 1
                guard machine.trialSuccesses >= configuration.halfOpen.requiredSuccesses else { return }
                performTransition(&machine, from: current, to: .closed, reason: .trialsSucceeded, now: now)
            case true?:
                machine.consecutiveReopens += 1
                performTransition(&machine, from: current, to: .open, reason: .trialFailed, now: now)
            }
        }
    }

    /// The totals of the policy's window (empty for the consecutive-failure policy).
    func windowTotals(now: Int64) -> WindowTotals {
        rule.totals(now: now)
    }

    /// An operator's move to `state` (``forceOpen()``, ``disable()``, ``reset()``), which ends the override in
    /// force; `then` queues what follows it for the monitors.
    func changeStateManually(to state: CircuitState, reason: TransitionReason, then event: BreakerEvent? = nil) {
        let now = clock.coarseNanoseconds()
        transact { machine in
            makeDueTransitions(&machine, now: now)
            endOverride(&machine, expired: false)
            moveManually(&machine, to: state, reason: reason)
            if let event { post(event, &machine) }
        }
    }

    /// An operator's move to `state`, under the lock: a transition unless the breaker is in that state already
    /// (a reset of a closed breaker starts a fresh period without reporting one).
    func moveManually(_ machine: inout MachineState, to state: CircuitState, reason: TransitionReason) {
        let now = clock.coarseNanoseconds()
        let current = ControlWord(rawValue: control.load(ordering: .relaxed))
        if current.state == state {
            guard state == .closed else { return }
            let next = current.advanced(to: .closed)
            rule.reset(generation: next.generation, now: now)
            control.store(next.rawValue, ordering: .releasing)
            return
        }
        performTransition(&machine, from: current, to: state, reason: reason, now: now)
    }

    /// Removes the active override, if any, under the lock, and queues its end for the monitors; returns whether
    /// there was one.
    @discardableResult
    func endOverride(_ machine: inout MachineState, expired: Bool) -> Bool {
        overrideUntil.store(.max, ordering: .relaxed)
        guard let ended = machine.activeOverride else { return false }
        machine.activeOverride = nil
        post(.overrideEnded(ended, expired: expired), &machine)
        return true
    }

    /// Moves to `state`, publishes the new control word and queues the transition for the monitors. Must run
    /// under `machine`'s lock with `current` the control word read under it.
    func performTransition(
        _ machine: inout MachineState,
        from current: ControlWord,
        to state: CircuitState,
        reason: TransitionReason,
        now: Int64
    ) {
        let next = current.advanced(to: state)
        // The window when the transition became due. A transition dated earlier than the clock (see
        // `makeDueTransitions`) reads it as it was then: nothing was recorded in between, since every outcome is
        // recorded only after the due transitions were made (it is then late), so a time window has not moved on.
        let ratios = windowTotals(now: now).ratios(minimumCalls: rule.minimumCalls)
        var openWait: Duration?
        switch state {
        case .open:
            let wait = configuration.openWait.wait(
                afterReopens: machine.consecutiveReopens,
                random: randomUnit()
            )
            openUntil.store(now &+ wait.nanoseconds, ordering: .relaxed)
            openWait = wait
        case .halfOpen:
            machine.trialsAdmitted = 0
            machine.trialSuccesses = 0
            machine.lastTrialAdmitted = now
        case .closed, .disabled:
            if state == .closed { machine.consecutiveReopens = 0 }
            rule.reset(generation: next.generation, now: now)
        case .forcedOpen:
            break
        }
        // A transition made late (dated `now`, earlier than the clock: see `makeDueTransitions`) gets the
        // wall-clock time it was due.
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
        post(.transition(transition), &machine)
    }

    /// Counts `event` (``postedEvents``) and queues it for the monitors, if there are any. Under the lock.
    func post(_ event: BreakerEvent, _ machine: inout MachineState) {
        postedEvents.wrappingAdd(1, ordering: .releasing)
        if hasMonitors { machine.outbox.post(event) }
    }

    /// Runs `body` under the lock, then delivers the events it queued (and any queued meanwhile), unless another
    /// thread is delivering already (see ``BreakerEventOutbox``).
    @discardableResult
    func transact<Result>(_ body: (inout MachineState) -> Result) -> Result {
        let (result, batch) = machine.withLock { machine in (body(&machine), machine.outbox.claim()) }
        var events = batch
        while !events.isEmpty {
            for event in events { deliver(event) }
            events = machine.withLock { $0.outbox.next() }
        }
        return result
    }

    private func deliver(_ event: BreakerEvent) {
        switch event {
        case .transition(let transition): monitor.stateChanged(self, transition: transition)
        case .overrideApplied(let override, let restored):
            monitor.overrideApplied(self, override: override, restored: restored)
        case .overrideEnded(let override, let expired):
            monitor.overrideEnded(self, override: override, expired: expired)
        case .reset: monitor.breakerReset(self)
        }
    }
}

/// What ``CircuitBreaker/admitSlow(_:)`` decided under the lock.
enum AdmissionDecision {
    case admit(ControlWord)
    case refuse(CircuitState, retryAfter: Duration?)
}
