import CircuitBreakerInternals
import CircuitBreaker
import Instrumentation
import Synchronization

/// The monitor a ``PrometheusMonitor`` returns from ``PrometheusMonitor/bind(to:)``: every series of one breaker,
/// stored and rendered by hand.
///
/// - Values: one block of atomics (``AtomicCells``, laid out by ``SeriesLayout``) for every counter and gauge,
///   plus ``DurationHistograms`` or ``NativeDurationHistograms`` when durations are recorded. Per call: one relaxed
///   atomic add, two more with durations. No lock, no allocation, no lookup. With exemplars on, one more check: a
///   call inside a traced task (a `ServiceContext` is set) also stores its trace id in ``DurationExemplars``.
/// - Text: each series' line prefix (`name{breaker="…",label="…"} `) rendered once, at bind, into one byte buffer,
///   so that rendering a sample is a copy of its prefix, the number, and a line feed.
///
/// Transitions and refreshes take this breaker's own lock, to apply state changes in generation order; rendering
/// takes none (it reads the atomics).
final class BreakerSeries: BreakerMonitor {
    let name: String
    private let shared: RegistryState
    let cells: AtomicCells
    /// The line prefixes of every present slot of ``SeriesLayout/slots``, back to back.
    let prefixes: [UInt8]
    /// `prefixes[prefixEnds[s]..<prefixEnds[s + 1]]` is slot `s`'s prefix; empty for a series this breaker lacks.
    let prefixEnds: [UInt32]
    /// The classic duration histograms, when the monitor records durations in them.
    let histograms: DurationHistograms?
    /// The native duration histograms, when the monitor records durations in them.
    let nativeHistograms: NativeDurationHistograms?
    /// The monitor's duration settings, when it records durations.
    let durations: DurationRecording?
    /// The latest exemplars, created on the first traced call.
    let exemplars = AtomicLazyReference<DurationExemplars>()
    /// The trace id of a context (the monitor's), when exemplars are kept: a copy, so that the call path reads
    /// one stored property.
    private let traceIDs: (@Sendable (ServiceContext) -> String?)?
    /// The most bytes the histogram family of this breaker renders to as text, exemplars aside (0 without
    /// durations).
    let histogramBound: Int
    private let hasWindow: Bool
    /// The failure-ratio threshold, for the protobuf exposition (the text prefix holds it already).
    let threshold: Double?
    /// The `breaker` label as a protobuf `LabelPair` field of a `Metric`.
    let protobufBreakerLabel: [UInt8]

    /// The breaker (held weakly) and the reading the gauges show.
    let gauges = LatestSnapshot<CircuitBreaker, BreakerGaugeReading>()
    /// What the last scrapes rendered, reused while nothing but time changed (used under the registry's render
    /// lock only).
    let cache: SeriesRenderCache
    /// Whether this is a group's aggregate (no breaker of its own: never reused).
    let isAggregate: Bool

    /// The series of `breaker`; with `aggregate`, only those of ``BreakerFamily/aggregateFamilies``: the
    /// group-wide durations, slow calls and fallbacks of a group of keyed breakers, which its ``KeySeries`` record
    /// into (``recordDuration(_:_:_:)``, ``countSlowCall()``, ``countFallback(succeeded:)``).
    init(breaker: BreakerDescription, shared: RegistryState, durations: DurationRecording?, aggregate: Bool = false) {
        self.name = breaker.name
        self.shared = shared
        self.isAggregate = aggregate
        self.cache = SeriesRenderCache()
        self.cells = AtomicCells(count: SeriesLayout.cellCount)
        hasWindow = breaker.configuration.trip.windowPolicy != nil
        let threshold = breaker.configuration.trip.failureRatioThreshold
        self.threshold = threshold
        self.durations = durations
        let bucketLabels = durations?.textBuckets
        self.histograms = durations.flatMap { $0.isNative ? nil : DurationHistograms(bounds: $0.bounds) }
        self.nativeHistograms = durations.flatMap { $0.isNative ? NativeDurationHistograms() : nil }
        self.traceIDs = durations?.traceIDs
        self.protobufBreakerLabel = ProtobufLabels.labelPairField("breaker", breaker.name)

        // The prefixes: `breaker="…"` is escaped once and copied into each.
        var breakerLabel: [UInt8] = []
        breakerLabel.appendLabel("breaker", breaker.name)
        var text: [UInt8] = []
        var ends: [UInt32] = [0]
        ends.reserveCapacity(SeriesLayout.slots.count + 1)
        for slot in SeriesLayout.slots {
            let exported =
                switch slot.presence {
                case .always: true
                case .window: hasWindow
                case .threshold: threshold != nil
                case .durations: bucketLabels != nil
                case .shadow: !breaker.configuration.enforcement.rejectsCalls
                }
            if exported && (!aggregate || BreakerFamily.aggregateFamilies.contains(slot.family)) {
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

    var wantsDurations: Bool { durations != nil }

    // MARK: Calls (the hot path: atomics only)

    func callSucceeded(_ breaker: CircuitBreaker, duration: Duration?) {
        if let duration { record(duration, .success, breaker) }
        cells.incrementReleasing(SeriesLayout.calls + ExecutedOutcome.success.rawValue)
    }

    func callFailed(_ breaker: CircuitBreaker, error: any Error, duration: Duration?) {
        if let duration { record(duration, .failure, breaker) }
        cells.incrementReleasing(SeriesLayout.calls + ExecutedOutcome.failure.rawValue)
    }

    func callIgnored(_ breaker: CircuitBreaker, error: any Error, duration: Duration?) {
        if let duration { record(duration, .ignored, breaker) }
        cells.incrementReleasing(SeriesLayout.calls + ExecutedOutcome.ignored.rawValue)
    }

    func callTimedOut(_ breaker: CircuitBreaker, duration: Duration) {
        record(duration, .timeout, breaker)
        cells.incrementReleasing(SeriesLayout.calls + ExecutedOutcome.timeout.rawValue)
    }

    /// Records a duration in the histogram; inside a traced task, also keeps the call as its bucket's exemplar.
    @inline(__always)
    func record(_ duration: Duration, _ outcome: ExecutedOutcome, _ breaker: CircuitBreaker) {
        if let histograms {
            histograms.record(duration, outcome: outcome)
        } else if let nativeHistograms {
            nativeHistograms.record(duration, outcome: outcome)
        } else {
            return
        }
        // The one check a call outside a trace pays: the task-local context is nil.
        if let traceIDs, let context = ServiceContext.current {
            recordExemplar(context, traceIDs, duration, outcome, breaker)
        }
    }

    @inline(never)
    private func recordExemplar(
        _ context: ServiceContext,
        _ traceIDs: @Sendable (ServiceContext) -> String?,
        _ duration: Duration,
        _ outcome: ExecutedOutcome,
        _ breaker: CircuitBreaker
    ) {
        guard let durations, let traceID = traceIDs(context) else { return }
        let store =
            exemplars.load()
            ?? exemplars.storeIfNil(DurationExemplars(slotsPerOutcome: durations.bounds.count + 1))
        let nanoseconds = max(duration.nanoseconds, 0)
        store.store(
            outcome,
            slot: durations.slot(nanoseconds: nanoseconds),
            traceID: traceID,
            nanoseconds: UInt64(nanoseconds),
            timestamp: breaker.clock.wallClockSeconds()
        )
    }

    func callRejected(_ breaker: CircuitBreaker, state: CircuitState) {
        cells.incrementReleasing(SeriesLayout.rejected)
    }

    func callShadowRejected(_ breaker: CircuitBreaker, state: CircuitState) {
        cells.incrementReleasing(SeriesLayout.shadowRejected)
    }

    func slowCall(_ breaker: CircuitBreaker, duration: Duration) {
        countSlowCall()
    }

    func fallbackCompleted(_ breaker: CircuitBreaker, reason: FallbackReason, succeeded: Bool) {
        countFallback(succeeded: succeeded)
    }

    @inline(__always)
    func countSlowCall() {
        cells.incrementReleasing(SeriesLayout.slowCalls)
    }

    @inline(__always)
    func countFallback(succeeded: Bool) {
        cells.incrementReleasing(succeeded ? SeriesLayout.fallbackSuccess : SeriesLayout.fallbackFailure)
    }

    // MARK: State

    func stateChanged(_ breaker: CircuitBreaker, transition: StateTransition) {
        // Every ordered pair has a cell, so even a pair the table does not expect is counted lock-free.
        cells.increment(
            SeriesLayout.transitions + StateTable.pairIndex(from: transition.from.rawValue, to: transition.to.rawValue)
        )
        // Transitions of one breaker can arrive out of order from two threads; the reading is current, and is
        // applied only if no newer one was.
        refresh()
        cells.incrementReleasing(SeriesLayout.events)
    }

    func overrideApplied(_ breaker: CircuitBreaker, override: BreakerOverride, restored: Bool) {
        if !restored, let index = MetricContract.overrideActions.firstIndex(of: override.action.rawValue) {
            cells.increment(SeriesLayout.overrides + index)
        }
        refresh()
        cells.incrementReleasing(SeriesLayout.events)
    }

    func overrideEnded(_ breaker: CircuitBreaker, override: BreakerOverride, expired: Bool) {
        refresh()
        cells.incrementReleasing(SeriesLayout.events)
    }

    /// Brings the gauges up to date from a reading of the breaker, if the breaker is still alive.
    func refresh() {
        guard let breaker = gauges.source else { return }
        refresh(from: breaker)
    }

    /// Brings the gauges up to date from a reading of `breaker` (the attached one, which the caller holds); returns
    /// the reading the gauges show after: this one, or a newer one another thread applied first.
    @discardableResult
    func refresh(from breaker: CircuitBreaker) -> BreakerGaugeReading? {
        let reading = breaker.gaugeReading()
        return gauges.offerReturningLatest(reading, order: reading.order) { reading, previous in
            cells.store(UInt64(reading.state.rawValue), at: SeriesLayout.state)
            cells.storeDouble(reading.lastTransitionTimestamp, at: SeriesLayout.stateChangeTimestamp)
            cells.storeDouble(reading.overrideExpiry, at: SeriesLayout.overrideExpiry)
            if hasWindow {
                cells.storeDouble(reading.failureRatio, at: SeriesLayout.failureRatio)
                cells.storeDouble(reading.slowCallRatio, at: SeriesLayout.slowCallRatio)
            }
            // Readings are applied in order, so each state's time only grows: a counter.
            for state in CircuitState.allCases {
                cells.storeDouble(
                    Self.seconds(nanoseconds: reading.timeInState[state].nanoseconds),
                    at: SeriesLayout.stateSeconds + Int(state.rawValue)
                )
            }
        }
    }

    /// Seconds as the time-in-state series show them: one conversion, shared by a reading and its projection (see
    /// ``SeriesRenderCache``), so that both render the same bytes.
    @inline(__always)
    static func seconds(nanoseconds: Int64) -> Double {
        Double(nanoseconds) / 1e9
    }
}
