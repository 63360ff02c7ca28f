import CircuitBreakerInternals
import CircuitBreaker

/// The monitor a ``PrometheusMonitor`` returns from ``PrometheusMonitor/bind(to:)``: every series of one breaker,
/// stored and rendered by hand.
///
/// - Values: one block of atomics (``AtomicCells``, laid out by ``SeriesLayout``) for every counter and gauge,
///   plus ``DurationHistograms`` when durations are recorded. Per call: one relaxed atomic add, two more with
///   durations. No lock, no allocation, no lookup.
/// - Text: each series' line prefix (`name{breaker="…",label="…"} `) rendered once, at bind, into one byte buffer,
///   so that rendering a sample is a copy of its prefix, the number, and a line feed.
///
/// Transitions and refreshes take this breaker's own lock, to apply state changes in generation order; rendering
/// takes none (it reads the atomics).
final class BreakerSeries: BreakerMonitor {
    let name: String
    private let shared: RegistryState
    private let cells: AtomicCells
    /// The line prefixes of every present slot of ``SeriesLayout/slots``, back to back.
    private let prefixes: [UInt8]
    /// `prefixes[prefixEnds[s]..<prefixEnds[s + 1]]` is slot `s`'s prefix; empty for a series this breaker lacks.
    private let prefixEnds: [UInt32]
    /// The duration histograms, when the monitor records durations.
    let histograms: DurationHistograms?
    private let bucketLabels: DurationBucketLabels?
    /// The most bytes the histogram family of this breaker renders to (0 without durations).
    private let histogramBound: Int
    private let hasWindow: Bool

    /// The breaker (held weakly) and the generation the gauges show.
    private let gauges = LatestSnapshot<CircuitBreaker, BreakerSnapshot>()

    init(breaker: BreakerDescription, shared: RegistryState, bucketLabels: DurationBucketLabels?) {
        self.name = breaker.name
        self.shared = shared
        self.cells = AtomicCells(count: SeriesLayout.cellCount)
        hasWindow = breaker.configuration.trip.windowPolicy != nil
        let threshold = breaker.configuration.trip.failureRatioThreshold
        self.bucketLabels = bucketLabels
        self.histograms = bucketLabels.map { DurationHistograms(bounds: $0.bounds) }

        // The prefixes: `breaker="…"` is escaped once and copied into each.
        var breakerLabel: [UInt8] = []
        breakerLabel.appendLabel("breaker", breaker.name)
        var text: [UInt8] = []
        var ends: [UInt32] = [0]
        ends.reserveCapacity(SeriesLayout.slots.count + 1)
        for slot in SeriesLayout.slots {
            let present =
                switch slot.presence {
                case .always: true
                case .window: hasWindow
                case .threshold: threshold != nil
                case .durations: bucketLabels != nil
                case .shadow: !breaker.configuration.enforcement.rejectsCalls
                }
            if present {
                text.append(contentsOf: slot.metric.utf8)
                text.append(UInt8(ascii: "{"))
                text.append(contentsOf: breakerLabel)
                for (label, value) in slot.labels {
                    text.append(UInt8(ascii: ","))
                    text.appendLabel(label, value)
                }
                text.append(contentsOf: (slot.isBucket ? #",le=""# : "} ").utf8)
                if slot.value == .constant, let threshold {
                    text.appendDouble(threshold)
                    text.append(UInt8(ascii: "\n"))
                }
            }
            // A prefix longer than 4 GiB would need a breaker name of 100 MB; clamp rather than trap.
            ends.append(UInt32(clamping: text.count))
        }
        // Exactly as large as the text, not the capacity that appending grew to.
        let built = text
        self.prefixes = [UInt8](unsafeUninitializedCapacity: built.count) { buffer, count in
            _ = buffer.initialize(from: built)
            count = built.count
        }
        self.prefixEnds = ends

        if let bucketLabels {
            var bound = 0
            for outcome in ExecutedOutcome.allCases {
                let slot = SeriesLayout.histogramSlots + 3 * outcome.rawValue
                let bucketPrefix = Int(ends[slot + 1] - ends[slot])
                let sumAndCountPrefixes = Int(ends[slot + 3] - ends[slot + 1])
                bound += bucketLabels.count * (bucketPrefix + NumberFormatting.maximumLength + 1)
                bound += bucketLabels.text.count + sumAndCountPrefixes + 2 * (NumberFormatting.maximumLength + 1)
            }
            histogramBound = bound
        } else {
            histogramBound = 0
        }
    }

    // MARK: Lifecycle

    func didAttach(to breaker: CircuitBreaker) {
        gauges.attach(breaker)
        refresh()
    }

    func didDetach(from breaker: BreakerDescription) {
        guard shared.remove(self) else { return }
        gauges.detach()
    }

    var wantsDurations: Bool { histograms != nil }

    // MARK: Calls (the hot path: atomics only)

    func callSucceeded(_ breaker: CircuitBreaker, duration: Duration?) {
        cells.increment(SeriesLayout.calls + ExecutedOutcome.success.rawValue)
        if let histograms, let duration { histograms.record(duration, outcome: .success) }
    }

    func callFailed(_ breaker: CircuitBreaker, error: any Error, duration: Duration?) {
        cells.increment(SeriesLayout.calls + ExecutedOutcome.failure.rawValue)
        if let histograms, let duration { histograms.record(duration, outcome: .failure) }
    }

    func callIgnored(_ breaker: CircuitBreaker, error: any Error, duration: Duration?) {
        cells.increment(SeriesLayout.calls + ExecutedOutcome.ignored.rawValue)
        if let histograms, let duration { histograms.record(duration, outcome: .ignored) }
    }

    func callTimedOut(_ breaker: CircuitBreaker, duration: Duration) {
        cells.increment(SeriesLayout.calls + ExecutedOutcome.timeout.rawValue)
        histograms?.record(duration, outcome: .timeout)
    }

    func callRejected(_ breaker: CircuitBreaker, state: CircuitState) {
        cells.increment(SeriesLayout.rejected)
    }

    func callShadowRejected(_ breaker: CircuitBreaker, state: CircuitState) {
        cells.increment(SeriesLayout.shadowRejected)
    }

    func slowCall(_ breaker: CircuitBreaker, duration: Duration) {
        cells.increment(SeriesLayout.slowCalls)
    }

    func fallbackCompleted(_ breaker: CircuitBreaker, reason: FallbackReason, succeeded: Bool) {
        cells.increment(succeeded ? SeriesLayout.fallbackSuccess : SeriesLayout.fallbackFailure)
    }

    // MARK: State

    func stateChanged(_ breaker: CircuitBreaker, transition: StateTransition) {
        // Every ordered pair has a cell, so even a pair the table does not expect is counted lock-free.
        cells.increment(
            SeriesLayout.transitions + StateTable.pairIndex(from: transition.from.rawValue, to: transition.to.rawValue)
        )
        // Transitions of one breaker can arrive out of order from two threads; the snapshot is current, and is
        // applied only if no newer one was.
        refresh()
    }

    func overrideApplied(_ breaker: CircuitBreaker, override: BreakerOverride, restored: Bool) {
        if !restored, let index = MetricContract.overrideActions.firstIndex(of: override.action.rawValue) {
            cells.increment(SeriesLayout.overrides + index)
        }
        refresh()
    }

    func overrideEnded(_ breaker: CircuitBreaker, override: BreakerOverride, expired: Bool) {
        refresh()
    }

    /// Brings the gauges up to date from the breaker's snapshot, if the breaker is still alive.
    func refresh() {
        gauges.refresh(read: { $0.snapshot() }, order: \.order) { snapshot, previous in
            cells.store(UInt64(snapshot.state.rawValue), at: SeriesLayout.state)
            cells.storeDouble(snapshot.lastTransitionTimestamp, at: SeriesLayout.stateChangeTimestamp)
            cells.storeDouble(snapshot.activeOverride?.expiresAt ?? 0, at: SeriesLayout.overrideExpiry)
            if hasWindow {
                cells.storeDouble(snapshot.failureRatio, at: SeriesLayout.failureRatio)
                cells.storeDouble(snapshot.slowCallRatio, at: SeriesLayout.slowCallRatio)
            }
            // Snapshots are applied in order, so each state's time only grows: a counter.
            for state in CircuitState.allCases {
                cells.storeDouble(snapshot.timeInState.seconds(in: state), at: SeriesLayout.stateSeconds + Int(state.rawValue))
            }
        }
    }

    // MARK: Rendering

    /// Appends the family's `# HELP` and `# TYPE` lines and the samples of every breaker in `all` (none of either
    /// if no breaker has a series in the family): the family's samples, grouped, breaker after breaker.
    static func render(_ family: BreakerFamily, of all: [BreakerSeries], into buffer: inout [UInt8]) {
        var bound = 0
        for series in all { bound &+= series.bound(of: family) }
        guard bound > 0 else { return }
        let header = BreakerFamily.headers[family.rawValue]
        let slots = SeriesLayout.familySlots[family.rawValue]
        let values = SeriesLayout.values
        buffer.appendRendered(bound: bound + header.count) { writer in
            writer.write(header)
            if family == .callDuration {
                for series in all { series.writeHistograms(into: &writer) }
            } else {
                for series in all { series.write(slots, values: values, into: &writer) }
            }
        }
        if family == .transitions {
            for series in all { series.appendUnexpectedTransitions(into: &buffer) }
        }
    }

    /// The most bytes this breaker's samples of `family` take: their prefixes, plus a number and a line feed each.
    private func bound(of family: BreakerFamily) -> Int {
        if family == .callDuration { return histogramBound }
        let slots = SeriesLayout.familySlots[family.rawValue]
        let text = Int(prefixEnds[slots.upperBound] &- prefixEnds[slots.lowerBound])
        return text == 0 ? 0 : text &+ slots.count &* (NumberFormatting.maximumLength &+ 1)
    }

    private func write(_ slots: Range<Int>, values: [SeriesLayout.Value], into writer: inout ExpositionWriter) {
        let cells = cells
        let state = cells.load(SeriesLayout.state)
        prefixes.withUnsafeBufferPointer { text in
            prefixEnds.withUnsafeBufferPointer { ends in
                for slot in slots {
                    let start = Int(ends[slot])
                    let end = Int(ends[slot &+ 1])
                    guard start < end else { continue }
                    writer.write(UnsafeBufferPointer(rebasing: text[start..<end]))
                    switch values[slot] {
                    case .counter(let cell):
                        let value = cells.load(cell)
                        writer.writeNumber { NumberFormatting.write(value, to: $0) }
                    case .stateIs(let raw):
                        let value: UInt64 = raw == state ? 1 : 0
                        writer.writeNumber { NumberFormatting.write(value, to: $0) }
                    case .double(let cell):
                        let value = cells.loadDouble(cell)
                        writer.writeNumber { NumberFormatting.write(value, to: $0) }
                    case .constant, .histogram:
                        continue
                    }
                    writer.writeLineFeed()
                }
            }
        }
    }

    /// The buckets (cumulative, from one reading of each), `_sum` and `_count` of each executed outcome, so that
    /// `le="+Inf"` always equals `_count`.
    private func writeHistograms(into writer: inout ExpositionWriter) {
        guard let histograms, let bucketLabels else { return }
        prefixes.withUnsafeBufferPointer { text in
            prefixEnds.withUnsafeBufferPointer { ends in
                bucketLabels.text.withUnsafeBufferPointer { labels in
                    func prefix(_ slot: Int) -> UnsafeBufferPointer<UInt8> {
                        UnsafeBufferPointer(rebasing: text[Int(ends[slot])..<Int(ends[slot &+ 1])])
                    }
                    for outcome in ExecutedOutcome.allCases {
                        let slot = SeriesLayout.histogramSlots &+ 3 &* outcome.rawValue
                        let bucketPrefix = prefix(slot)
                        var cumulative: UInt64 = 0
                        var labelStart = 0
                        for bucket in 0..<histograms.bucketCount {
                            cumulative &+= UInt64(truncatingIfNeeded: histograms.count(outcome, bucket: bucket))
                            let labelEnd = bucketLabels.ends[bucket]
                            writer.write(bucketPrefix)
                            writer.write(UnsafeBufferPointer(rebasing: labels[labelStart..<labelEnd]))
                            labelStart = labelEnd
                            let value = cumulative
                            writer.writeNumber { NumberFormatting.write(value, to: $0) }
                            writer.writeLineFeed()
                        }
                        writer.write(prefix(slot &+ 1))
                        // Non-negative observations only (negative durations are clamped to 0), so the sum read as
                        // unsigned runs twice as long before it wraps.
                        let sum = UInt64(bitPattern: histograms.sumNanoseconds(outcome))
                        writer.writeNumber { NumberFormatting.writeSeconds(nanoseconds: sum, to: $0) }
                        writer.writeLineFeed()
                        writer.write(prefix(slot &+ 2))
                        let count = cumulative
                        writer.writeNumber { NumberFormatting.write(count, to: $0) }
                        writer.writeLineFeed()
                    }
                }
            }
        }
    }

    /// Appends the transitions the breaker made that `StateTable` did not expect (none so far; only should
    /// the core gain one), once they occurred. Off the fast path: it builds each line when needed.
    private func appendUnexpectedTransitions(into buffer: inout [UInt8]) {
        for (from, to) in SeriesLayout.unexpectedTransitions {
            let value = cells.load(SeriesLayout.transitions + StateTable.pairIndex(from: from.rawValue, to: to.rawValue))
            guard value > 0 else { continue }
            buffer.append(contentsOf: "\(MetricContract.transitions.name){".utf8)
            buffer.appendLabel("breaker", name)
            buffer.append(UInt8(ascii: ","))
            buffer.appendLabel("from", from.label)
            buffer.append(UInt8(ascii: ","))
            buffer.appendLabel("to", to.label)
            buffer.append(contentsOf: "} ".utf8)
            buffer.appendDecimal(Int64(clamping: value))
            buffer.append(UInt8(ascii: "\n"))
        }
    }
}
