import CircuitBreakerInternals

/// What a metrics exporter re-reads of a breaker at a scrape: the values of its gauges, without the snapshot's
/// strings (name, last transition, override reason and actor), so that a reading copies nothing that allocates.
package struct BreakerGaugeReading: Sendable {
    /// The state the next call would meet (due transitions made first).
    package let state: CircuitState
    package let generation: UInt64
    /// The failure and slow-call ratios of the window, 0 below its minimum number of calls.
    package let failureRatio: Double
    package let slowCallRatio: Double
    /// The reading of the breaker's coarse clock before which the window's ratios cannot change without a call:
    /// when the oldest bucket that held calls slides out (`Int64.max` for a window that does not slide with time,
    /// an empty one, or the consecutive-failure policy).
    package let windowStableUntil: Int64
    /// Unix time of the last transition.
    package let lastTransitionTimestamp: Double
    /// When the active override ends (Unix time), or 0 without one.
    package let overrideExpiry: Double
    /// Nanoseconds in each state, the current period counted up to ``now``.
    package let timeInState: TimeInState
    /// The reading of the breaker's coarse clock the current period was counted to (never below an earlier
    /// reading's).
    package let now: Int64

    /// Orders readings as ``BreakerSnapshot/order`` orders snapshots.
    package var order: (generation: UInt64, age: Int64) {
        (generation, timeInState.total.nanoseconds)
    }

    /// Nanoseconds in the current state, had it been read at `later` instead of ``now``: the current period simply
    /// goes on while nothing else changes (no transition, which a new generation would show).
    package func nanosecondsInCurrentState(at later: Int64) -> Int64 {
        timeInState[state].nanoseconds &+ max(later &- now, 0)
    }
}

extension CircuitBreaker {
    /// The gauge values of the breaker, as ``snapshot()`` would report them, with the window's stripes summed once.
    package func gaugeReading() -> BreakerGaugeReading {
        _ = settledWord()
        let now = clock.coarseNanoseconds()
        return machine.withLock { machine in
            let word = ControlWord(rawValue: control.load(ordering: .acquiring))
            let (totals, stableUntil) = rule.totalsAndStability(now: now)
            let ratios = totals.ratios(minimumCalls: rule.minimumCalls)
            let (timeInState, countedTo) = machine.stateTimes.counted(current: word.state, now: now)
            return BreakerGaugeReading(
                state: word.state,
                generation: word.generation,
                failureRatio: ratios.failure,
                slowCallRatio: ratios.slow,
                windowStableUntil: stableUntil,
                lastTransitionTimestamp: machine.lastTransitionTimestamp,
                overrideExpiry: machine.activeOverride?.expiresAt ?? 0,
                timeInState: timeInState,
                now: countedTo
            )
        }
    }

    /// The state and generation the next call would meet: the transitions that time alone made due are made first
    /// (an open breaker whose wait elapsed is half-open). One atomic load for a closed breaker.
    package func settledStateAndGeneration() -> (state: CircuitState, generation: UInt64) {
        let word = settledWord()
        return (word.state, word.generation)
    }

    /// How many transitions, overrides applied or ended and resets the breaker has made, counted under its lock
    /// as each is made, before the monitors hear of it. Loaded with acquiring order: a reading taken after this
    /// load (``gaugeReading()`` locks the breaker) shows at least every change counted in the value loaded.
    package var changeCount: UInt64 {
        postedEvents.load(ordering: .acquiring)
    }
}
