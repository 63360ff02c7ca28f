import CircuitBreakerInternals
import CircuitBreaker

/// Where every series of a breaker lives: its atomic cell (the value) and its slot (the pre-rendered line prefix).
///
/// A breaker's values are one block of `UInt64` atomics (``cellCount`` of them): counters as integers, gauges as
/// the bit pattern of a `Double`, the state as its raw value (the five `circuit_breaker_state` series are derived
/// from it). Its line prefixes (`name{breaker="…",label="…"} `) are one byte buffer, rendered once at bind, with
/// one slot per series in family order, so that rendering a family reads one contiguous range of slots.
enum SeriesLayout {
    // MARK: Cells

    /// `circuit_breaker_calls_total` by outcome: ``ExecutedOutcome`` raw values, then ``rejected``.
    static let calls = 0
    static let rejected = 4
    static let slowCalls = 5
    static let fallbackSuccess = 6
    static let fallbackFailure = 7
    /// `circuit_breaker_transitions_total`: `StateTable.pairIndex(from:to:)` from here, every ordered pair (25),
    /// so that even a transition the table does not expect is counted without a lock.
    static let transitions = 8
    static let state = transitions + StateTable.pairCount
    static let failureRatio = state + 1
    static let slowCallRatio = state + 2
    static let stateChangeTimestamp = state + 3
    /// `circuit_breaker_state_seconds_total` by `CircuitState.rawValue`, as `Double`s.
    static let stateSeconds = state + 4
    /// `circuit_breaker_calls_total{outcome="shadow_rejected"}`.
    static let shadowRejected = stateSeconds + StateTable.count
    /// `circuit_breaker_overrides_total` by the index of the action in `MetricContract.overrideActions`.
    static let overrides = shadowRejected + 1
    /// `circuit_breaker_override_expiry_timestamp_seconds`, as a `Double`.
    static let overrideExpiry = overrides + MetricContract.overrideActions.count
    /// How many transitions and overrides the monitor has finished recording: bumped after each one's counters and
    /// gauges are written, so that a scrape sees it move (see ``changeCells``).
    static let events = overrideExpiry + 1
    static let cellCount = events + 1

    /// The cells whose sum moves whenever a series of the breaker changes other than by time alone: every count a
    /// call, a rejection, a fallback or a slow call bumps (a call's last write, after its durations), and
    /// ``events``. Transitions and overrides count once each in ``events`` rather than by their own cells.
    static let changeCells: [Int] =
        Array(calls..<(calls + ExecutedOutcome.allCases.count)) + [
            rejected, slowCalls, fallbackSuccess, fallbackFailure, shadowRejected, events,
        ]

    // MARK: Slots

    /// How the value of a slot's sample is written after its prefix.
    enum Value: Equatable {
        /// The integer in cell `cell`.
        case counter(Int)
        /// 1 if the state cell holds this raw state, else 0.
        case stateIs(UInt64)
        /// The `Double` whose bits are in cell `cell`.
        case double(Int)
        /// Nothing: the prefix holds the value and the line feed (the failure-ratio threshold, which never changes).
        case constant
        /// A histogram prefix; rendered by the histogram code.
        case histogram
    }

    /// Which breakers have the slot's series.
    enum Presence {
        case always
        /// Breakers with a sliding window (failure- or slow-call-ratio policies).
        case window
        /// Breakers with a failure-ratio threshold.
        case threshold
        /// Monitors that record durations.
        case durations
        /// Breakers in shadow mode.
        case shadow
    }

    struct Slot {
        let family: BreakerFamily
        /// The metric name: the family's, or for a histogram `_bucket`, `_sum` or `_count` appended.
        let metric: String
        /// The labels after `breaker`.
        let labels: [(String, String)]
        let value: Value
        let presence: Presence
        /// For a histogram `_bucket` prefix: it ends in `,le="` instead of `} `.
        var isBucket = false
    }

    static let slots: [Slot] = {
        var slots: [Slot] = []
        for state in CircuitState.allCases {
            slots.append(
                Slot(
                    family: .state,
                    metric: MetricContract.state.name,
                    labels: [("state", state.label)],
                    value: .stateIs(UInt64(state.rawValue)),
                    presence: .always
                )
            )
        }
        let outcomes = ExecutedOutcome.allCases.map { ($0.label, calls + $0.rawValue) } + [("rejected", rejected)]
        for (label, cell) in outcomes {
            slots.append(
                Slot(
                    family: .calls,
                    metric: MetricContract.calls.name,
                    labels: [("outcome", label)],
                    value: .counter(cell),
                    presence: .always
                )
            )
        }
        slots.append(
            Slot(
                family: .calls,
                metric: MetricContract.calls.name,
                labels: [("outcome", "shadow_rejected")],
                value: .counter(shadowRejected),
                presence: .shadow
            )
        )
        for outcome in ExecutedOutcome.allCases {
            let labels = [("outcome", outcome.label)]
            let name = MetricContract.callDuration.name
            slots.append(
                Slot(
                    family: .callDuration,
                    metric: name + "_bucket",
                    labels: labels,
                    value: .histogram,
                    presence: .durations,
                    isBucket: true
                )
            )
            slots.append(
                Slot(
                    family: .callDuration,
                    metric: name + "_sum",
                    labels: labels,
                    value: .histogram,
                    presence: .durations
                )
            )
            slots.append(
                Slot(
                    family: .callDuration,
                    metric: name + "_count",
                    labels: labels,
                    value: .histogram,
                    presence: .durations
                )
            )
        }
        slots.append(
            Slot(
                family: .slowCalls,
                metric: MetricContract.slowCalls.name,
                labels: [],
                value: .counter(slowCalls),
                presence: .always
            )
        )
        for (from, to) in StateTable.possiblePairs {
            slots.append(
                Slot(
                    family: .transitions,
                    metric: MetricContract.transitions.name,
                    labels: [("from", StateTable.labels[Int(from)]), ("to", StateTable.labels[Int(to)])],
                    value: .counter(transitions + StateTable.pairIndex(from: from, to: to)),
                    presence: .always
                )
            )
        }
        slots.append(
            Slot(
                family: .failureRatio,
                metric: MetricContract.failureRatio.name,
                labels: [],
                value: .double(failureRatio),
                presence: .window
            )
        )
        slots.append(
            Slot(
                family: .slowCallRatio,
                metric: MetricContract.slowCallRatio.name,
                labels: [],
                value: .double(slowCallRatio),
                presence: .window
            )
        )
        slots.append(
            Slot(
                family: .failureRatioThreshold,
                metric: MetricContract.failureRatioThreshold.name,
                labels: [],
                value: .constant,
                presence: .threshold
            )
        )
        slots.append(
            Slot(
                family: .stateChangeTimestamp,
                metric: MetricContract.stateChangeTimestamp.name,
                labels: [],
                value: .double(stateChangeTimestamp),
                presence: .always
            )
        )
        for (label, cell) in [("success", fallbackSuccess), ("failure", fallbackFailure)] {
            slots.append(
                Slot(
                    family: .fallbacks,
                    metric: MetricContract.fallbacks.name,
                    labels: [("result", label)],
                    value: .counter(cell),
                    presence: .always
                )
            )
        }
        for state in CircuitState.allCases {
            slots.append(
                Slot(
                    family: .stateSeconds,
                    metric: MetricContract.stateSeconds.name,
                    labels: [("state", state.label)],
                    value: .double(stateSeconds + Int(state.rawValue)),
                    presence: .always
                )
            )
        }
        for (index, action) in MetricContract.overrideActions.enumerated() {
            slots.append(
                Slot(
                    family: .overrides,
                    metric: MetricContract.overrides.name,
                    labels: [("action", action)],
                    value: .counter(overrides + index),
                    presence: .always
                )
            )
        }
        slots.append(
            Slot(
                family: .overrideExpiry,
                metric: MetricContract.overrideExpiry.name,
                labels: [],
                value: .double(overrideExpiry),
                presence: .always
            )
        )
        return slots
    }()

    /// The value kind of each slot, apart from the rest so that the render loop reads a small trivial array.
    static let values: [Value] = slots.map(\.value)

    /// The slots of each family, by `BreakerFamily.rawValue`; the slots of a family are contiguous.
    static let familySlots: [Range<Int>] = BreakerFamily.allCases.map { family in
        let indices = slots.indices.filter { slots[$0].family == family }
        guard let first = indices.first, let last = indices.last else { return 0..<0 }
        return first..<(last + 1)
    }

    /// The first histogram slot; outcome `o` has its `_bucket`, `_sum` and `_count` prefixes at
    /// `histogramSlots + 3 * o`, `+ 1` and `+ 2`.
    static let histogramSlots = familySlots[BreakerFamily.callDuration.rawValue].lowerBound

    /// The transitions counted in a cell of their own but not expected (`StateTable.isPossible` is false):
    /// rendered only once they occurred.
    static let unexpectedTransitions: [(from: CircuitState, to: CircuitState)] = CircuitState.allCases.flatMap {
        from in
        CircuitState.allCases.compactMap { to in from != to && !from.canTransition(to: to) ? (from, to) : nil }
    }
}
