import CircuitBreakerInternals
import CircuitBreaker
import Synchronization

/// The monitor a ``GroupSeries`` returns for each key of its group (and for the group's overflow breaker): the
/// key's state, calls and transitions, and, where the monitor has them, its own duration histograms.
///
/// Per call: one relaxed atomic add on the key's cells, plus the group-wide duration histogram (and slow calls and
/// fallbacks) in the group's aggregate ``BreakerSeries``. The state cell follows transitions as they are reported,
/// newest generation first; the group settles its keys before each scrape (``BreakerGroup/settleStates()``), so no
/// key is read under a lock at scrape time.
final class KeySeries: BreakerMonitor {
    let group: GroupSeries
    /// The key, or `nil` for the group's overflow breaker.
    let key: String?
    let cells = AtomicCells(count: KeyLayout.cellCount)
    /// `,key="…"` with the key escaped; empty for the overflow breaker, whose series have no key label.
    let textFragment: [UInt8]
    /// The `key` label as a protobuf `LabelPair` field; empty for the overflow breaker.
    let protobufFragment: [UInt8]
    /// The key's own classic histograms, with per-key histograms on.
    let histograms: DurationHistograms?
    /// The key's own native histograms, with per-key histograms on.
    let nativeHistograms: NativeDurationHistograms?
    /// Whether the key's breaker is in shadow mode.
    let shadow: Bool
    /// Where the key is in its group's list (changed under the list's lock).
    let position = Atomic<Int>(-1)

    init(group: GroupSeries, breaker: BreakerDescription) {
        self.group = group
        key = breaker.key
        shadow = !breaker.configuration.enforcement.rejectsCalls
        if let key = breaker.key {
            var fragment: [UInt8] = Array(",".utf8)
            fragment.appendLabel("key", key)
            textFragment = fragment
            protobufFragment = ProtobufLabels.labelPairField("key", key)
        } else {
            textFragment = []
            protobufFragment = []
        }
        let durations = group.perKeyDurations
        histograms = durations.flatMap { $0.isNative ? nil : DurationHistograms(bounds: $0.bounds) }
        nativeHistograms = durations.flatMap { $0.isNative ? NativeDurationHistograms() : nil }
    }

    // MARK: Lifecycle

    func didDetach(from breaker: BreakerDescription) {
        group.remove(self)
    }

    var wantsDurations: Bool { group.aggregate.durations != nil }

    // MARK: Calls (atomics only)

    func callSucceeded(_ breaker: CircuitBreaker, duration: Duration?) {
        cells.increment(KeyLayout.calls + ExecutedOutcome.success.rawValue)
        if let duration { record(duration, .success, breaker) }
    }

    func callFailed(_ breaker: CircuitBreaker, error: any Error, duration: Duration?) {
        cells.increment(KeyLayout.calls + ExecutedOutcome.failure.rawValue)
        if let duration { record(duration, .failure, breaker) }
    }

    func callIgnored(_ breaker: CircuitBreaker, error: any Error, duration: Duration?) {
        cells.increment(KeyLayout.calls + ExecutedOutcome.ignored.rawValue)
        if let duration { record(duration, .ignored, breaker) }
    }

    func callTimedOut(_ breaker: CircuitBreaker, duration: Duration) {
        cells.increment(KeyLayout.calls + ExecutedOutcome.timeout.rawValue)
        record(duration, .timeout, breaker)
    }

    @inline(__always)
    private func record(_ duration: Duration, _ outcome: ExecutedOutcome, _ breaker: CircuitBreaker) {
        group.aggregate.record(duration, outcome, breaker)
        if let histograms {
            histograms.record(duration, outcome: outcome)
        } else if let nativeHistograms {
            nativeHistograms.record(duration, outcome: outcome)
        }
    }

    func callRejected(_ breaker: CircuitBreaker, state: CircuitState) {
        cells.increment(KeyLayout.rejected)
    }

    func callShadowRejected(_ breaker: CircuitBreaker, state: CircuitState) {
        cells.increment(KeyLayout.shadowRejected)
    }

    func slowCall(_ breaker: CircuitBreaker, duration: Duration) {
        group.aggregate.countSlowCall()
    }

    func fallbackCompleted(_ breaker: CircuitBreaker, reason: FallbackReason, succeeded: Bool) {
        group.aggregate.countFallback(succeeded: succeeded)
    }

    // MARK: State

    func stateChanged(_ breaker: CircuitBreaker, transition: StateTransition) {
        cells.increment(
            KeyLayout.transitions + StateTable.pairIndex(from: transition.from.rawValue, to: transition.to.rawValue)
        )
        // Transitions of one breaker can arrive out of order from two threads: keep the newest generation's.
        let word = transition.generation << 3 | UInt64(transition.to.rawValue)
        var current = cells.load(KeyLayout.state)
        while current >> 3 < transition.generation {
            let (exchanged, original) = cells.compareExchange(current, word, at: KeyLayout.state)
            if exchanged { return }
            current = original
        }
    }

    /// The state the gauges show, as a raw `CircuitState` value.
    var state: UInt64 {
        cells.load(KeyLayout.state) & 0b111
    }
}
