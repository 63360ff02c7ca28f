import CircuitBreakerInternals

// Operators' time-limited overrides (see ``BreakerOverride``).
extension CircuitBreaker {
    /// Applies an operator's override: holds the breaker forced open or disabled until `override.expiresAt`, or
    /// resets it now. The last override applied wins: it replaces the one in force, which monitors see end.
    ///
    /// An override that has already expired (a saved one restored late, say) changes nothing. Monitors see the
    /// transition it causes, if any, then ``BreakerMonitor/overrideApplied(_:override:restored:)``.
    ///
    /// - Parameters:
    ///   - override: what, why, who and until when.
    ///   - restored: whether it is re-applied from saved state after a restart (monitors do not count it as a new
    ///     decision).
    public func apply(_ override: BreakerOverride, restored: Bool = false) {
        let remaining = override.expiresAt - clock.wallClockSeconds()
        guard override.action == .reset || remaining > 0 else { return }
        let now = clock.coarseNanoseconds()
        transact { machine in
            makeDueTransitions(&machine, now: now)
            endOverride(&machine, expired: false)
            let state = override.action.heldState
            moveManually(&machine, to: state, reason: Self.reason(moving: state))
            if override.action != .reset {
                machine.activeOverride = override
                let nanos = min(remaining * 1e9, Double(Int64.max / 2))
                overrideUntil.store(now &+ Int64(nanos), ordering: .relaxed)
            }
            post(.overrideApplied(override, restored: restored), &machine)
            if override.action == .reset { post(.reset, &machine) }
        }
    }

    /// Ends the override in force, if any, and returns the breaker to automatic control: closed, with a fresh
    /// window (as ``reset()``). Returns the override that ended; does nothing without one.
    @discardableResult
    public func clearOverride() -> BreakerOverride? {
        let now = clock.coarseNanoseconds()
        return transact { machine -> BreakerOverride? in
            makeDueTransitions(&machine, now: now)
            guard let ended = machine.activeOverride else { return nil }
            endOverride(&machine, expired: false)
            moveManually(&machine, to: .closed, reason: .reset)
            return ended
        }
    }

    /// The override in force, if any (an expired one is ended first, as a read of ``state`` would).
    public var activeOverride: BreakerOverride? {
        _ = settledWord()
        return machine.withLock { $0.activeOverride }
    }

    private static func reason(moving state: CircuitState) -> TransitionReason {
        switch state {
        case .forcedOpen: .forcedOpen
        case .disabled: .disabled
        default: .reset
        }
    }
}
