import CircuitBreakerInternals
import Synchronization

// The per-call path: admission and recording of outcomes. Inlinable so that a call through the breaker compiles
// into the caller with the operation, with no generic dispatch.
extension CircuitBreaker {
    /// Admits a call or returns the rejection, without throwing: each API decides how a rejection leaves it (a
    /// fallback runs without any throw at all; every throw costs a runtime call).
    @inlinable
    func admission() -> Admission {
        let word = ControlWord(rawValue: control.load(ordering: .acquiring))
        if word.isClosed {
            return .admitted(Permit(word: word, start: startTime()))
        }
        if word.isOpen {
            // Rejection while the wait runs, inline: one clock read and a plain error, no call into the slow path.
            let now = clock.coarseNanoseconds()
            let until = openUntil.load(ordering: .relaxed)
            if now < until && enforcing {
                if hasCallMonitors { callMonitor.callRejected(self, state: .open) }
                return .rejected(CallRejectedError(breakerName: name, state: .open, retryAfterNanoseconds: until &- now))
            }
        }
        return admitSlow(word)
    }

    /// Admits a call or throws the rejection (typed, so that a rejection need not allocate).
    ///
    /// The open-state check is written out here as in ``admission()`` rather than shared: throwing directly lets a
    /// caller that catches in the same function pay for no error at all, and a shared helper returning an optional
    /// error measured slower on every rejection path (untyped 15 → 9 ns this way; fallback and typed 21 → 16 ns
    /// through ``admission()``).
    @inlinable
    func admit() throws(CallRejectedError) -> Permit {
        let word = ControlWord(rawValue: control.load(ordering: .acquiring))
        if word.isClosed {
            return Permit(word: word, start: startTime())
        }
        if word.isOpen {
            let now = clock.coarseNanoseconds()
            let until = openUntil.load(ordering: .relaxed)
            if now < until && enforcing {
                if hasCallMonitors { callMonitor.callRejected(self, state: .open) }
                throw CallRejectedError(breakerName: name, state: .open, retryAfterNanoseconds: until &- now)
            }
        }
        switch admitSlow(word) {
        case .admitted(let permit): return permit
        case .rejected(let rejection): throw rejection
        }
    }

    /// The precise clock when durations are measured, else 0.
    @inlinable
    func startTime() -> Int64 {
        measuresDurations ? clock.preciseNanoseconds() : 0
    }

    /// The call's duration and whether it was slow, when durations are measured.
    @inlinable @inline(__always)
    func elapsed(since permit: Permit) -> (duration: Duration?, slow: Bool) {
        guard measuresDurations else { return (nil, false) }
        let nanos = clock.preciseNanoseconds() &- permit.start
        return (.nanoseconds(nanos), nanos > slowThresholdNanos)
    }

    /// Whether the breaker is still in the state period the permit was admitted in.
    @inlinable
    func isCurrent(_ permit: Permit) -> Bool {
        control.load(ordering: .relaxed) == permit.word.rawValue
    }

    @inlinable
    func recordSuccess(_ permit: Permit) {
        let (duration, slow) = elapsed(since: permit)
        // A closed call's outcome reaches the window before the monitors hear of it (see `recordClosed`).
        let trip = permit.word.isClosed ? recordClosed(permit, failure: false, slow: slow) : nil
        if hasCallMonitors {
            callMonitor.callSucceeded(self, duration: duration)
            if slow, let duration { callMonitor.slowCall(self, duration: duration) }
        }
        if permit.word.isHalfOpen {
            settleTrial(permit, failure: false)
        } else if let trip {
            self.trip(permit, reason: trip)
        } else if !permit.word.isClosed {
            store(permit, failure: false, slow: slow)
        }
    }

    /// Records a thrown error: a failure or, if the classifier says so, an ignored call.
    @usableFromInline
    func recordError(_ error: any Error, _ permit: Permit) -> Bool {
        if configuration.errorClassifier.isFailure(error) {
            recordFailure(permit, error: error)
            return true
        }
        let (duration, _) = elapsed(since: permit)
        if hasCallMonitors { callMonitor.callIgnored(self, error: error, duration: duration) }
        if permit.word.isHalfOpen { settleTrial(permit, failure: nil) }
        return false
    }

    /// Records a failure; `error` is nil for a timeout.
    @usableFromInline
    func recordFailure(_ permit: Permit, error: (any Error)?, timeout: Duration? = nil) {
        let (measured, slow) = elapsed(since: permit)
        let trip = permit.word.isClosed ? recordClosed(permit, failure: true, slow: slow) : nil
        if let timeout {
            if hasCallMonitors { callMonitor.callTimedOut(self, duration: timeout) }
        } else {
            let error = error ?? FailedResultError(breakerName: name)
            if hasCallMonitors { callMonitor.callFailed(self, error: error, duration: measured) }
        }
        if slow, let measured {
            if hasCallMonitors { callMonitor.slowCall(self, duration: measured) }
        }
        if permit.word.isHalfOpen {
            settleTrial(permit, failure: true)
        } else if let trip {
            self.trip(permit, reason: trip)
        } else if !permit.word.isClosed {
            store(permit, failure: true, slow: slow)
        }
    }

    /// Records the outcome of a call admitted while closed in the policy's store, and returns why it trips the
    /// breaker, if it does; the caller trips it after the monitors heard of the call, so that they still hear of the
    /// call before the transition it caused.
    ///
    /// The window is written before the monitors hear of the call so that a monitor's count of the call is the
    /// call's last write: an exporter that sees the count unchanged since its last reading of the window knows
    /// that the window holds no outcome it has not read (`PrometheusMonitor` reuses a breaker's rendered series on
    /// that proof).
    @inlinable
    func recordClosed(_ permit: Permit, failure: Bool, slow: Bool) -> TransitionReason? {
        rule.record(
            failure: failure,
            slow: slow,
            generation: permit.word.generation,
            mayTrip: true,
            now: { clock.coarseNanoseconds() },
            isCurrent: { isCurrent(permit) }
        )
    }

    /// Records the outcome of a call admitted while closed or disabled in the policy's store, if the breaker is
    /// still in the state period the call was admitted in, and trips a closed breaker when the policy says so.
    /// Only a failure or a slow call can trip, so only those evaluate the window.
    @inlinable
    func store(_ permit: Permit, failure: Bool, slow: Bool) {
        if !permit.word.isClosed {
            // A call a shadow breaker ran instead of rejecting records nothing. A disabled one's override may have
            // expired while it ran: the transition it made due comes first, and then the outcome is late.
            guard permit.word != .shadow, settledWord() == permit.word else { return }
        }
        let reason = rule.record(
            failure: failure,
            slow: slow,
            generation: permit.word.generation,
            mayTrip: permit.word.isClosed,
            now: { clock.coarseNanoseconds() },
            isCurrent: { isCurrent(permit) }
        )
        if let reason { trip(permit, reason: reason) }
    }
}
