import Synchronization

// What a ``BreakerGroup`` asks of a key's breaker before evicting it. Read-only: nothing here changes the breaker,
// and no transition is made or reported.
extension CircuitBreaker {
    /// A check without a lock, to pick eviction candidates cheaply: closed and without an override. A breaker that
    /// fails it is certainly not idle; one that passes it may still hold failures (``holdsNoHistory()`` decides).
    var looksIdle: Bool {
        ControlWord(rawValue: control.load(ordering: .relaxed)).isClosed
            && overrideUntil.load(ordering: .relaxed) == .max
    }

    /// Whether evicting the breaker loses nothing: it is closed, no override is in force, its live window holds no
    /// failure and no slow call, and it has no consecutive-failure streak. A breaker counting failures towards a
    /// trip is not idle, whatever its last use.
    ///
    /// The caller guarantees that no call through the group is in flight (``KeyTable``'s claim): every outcome of
    /// an earlier call was recorded before that call released its pin, and the claim synchronises with that
    /// release, so the window and the streak read here include it.
    func holdsNoHistory() -> Bool {
        guard looksIdle else { return false }
        let now = clock.coarseNanoseconds()
        return machine.withLock { machine in
            let word = ControlWord(rawValue: control.load(ordering: .acquiring))
            guard word.isClosed, machine.activeOverride == nil else { return false }
            let totals = windowTotals(now: now)
            return totals.failures == 0 && totals.slowCalls == 0
                && rule.consecutiveFailureCount(generation: word.generation) == 0
        }
    }
}
