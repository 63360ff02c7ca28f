import CircuitBreakerInternals
import CircuitBreaker

/// Where every series of a key lives: its atomic cell and its slot.
///
/// A key's values are one block of `UInt64` atomics (``cellCount``): its state, with the generation that set it,
/// its calls by outcome and its transitions by ordered pair. Its text is kept small: a sample is the group's head
/// for the slot (`name{breaker="…"`, rendered once per group), the key's fragment (`,key="…"`, rendered once per
/// key), the slot's tail (`,state="open"} `, rendered once for every group), the number and a line feed. So a key
/// holds its escaped name once, not once per series: what keeps a key's memory small at 10,000 keys.
enum KeyLayout {
    // MARK: Cells

    /// The state: `generation << 3 | CircuitState.rawValue` of the newest transition applied (generation 0:
    /// created, closed).
    static let state = 0
    /// `circuit_breaker_key_calls_total` by outcome: ``ExecutedOutcome`` raw values, then ``rejected`` and
    /// ``shadowRejected``.
    static let calls = 1
    static let rejected = calls + ExecutedOutcome.allCases.count
    static let shadowRejected = rejected + 1
    /// `circuit_breaker_key_transitions_total`: `StateTable.pairIndex(from:to:)` from here.
    static let transitions = shadowRejected + 1
    static let cellCount = transitions + StateTable.pairCount

    // MARK: Slots

    /// How a slot's value is written.
    enum Value {
        /// 1 if the state cell holds this raw state, else 0.
        case stateIs(UInt64)
        /// The integer in the cell.
        case counter(Int)
        /// A histogram sample: rendered by the histogram code.
        case histogram
    }

    /// Which keys have the slot's series.
    enum Presence {
        case always
        /// Keys of a group in shadow mode.
        case shadow
        /// Every key, once the counter is above 0 (an operator's transitions).
        case onceCounted
        /// Keys with per-key histograms.
        case histograms
    }

    struct Slot {
        let family: BreakerFamily
        /// The metric name: the family's, or a histogram's with `_bucket`, `_sum` or `_count`.
        let metric: String
        /// The labels after `key`.
        let labels: [(String, String)]
        let value: Value
        let presence: Presence
        /// A `_bucket` slot: its tail ends with `,le="` (the bucket's label follows).
        var isBucket = false
    }

    static let slots: [Slot] = {
        var slots: [Slot] = []
        for state in CircuitState.allCases {
            slots.append(
                Slot(
                    family: .keyState,
                    metric: MetricContract.keyState.name,
                    labels: [("state", state.label)],
                    value: .stateIs(UInt64(state.rawValue)),
                    presence: .always
                )
            )
        }
        for outcome in ExecutedOutcome.allCases {
            slots.append(
                Slot(
                    family: .keyCalls,
                    metric: MetricContract.keyCalls.name,
                    labels: [("outcome", outcome.label)],
                    value: .counter(calls + outcome.rawValue),
                    presence: .always
                )
            )
        }
        slots.append(
            Slot(
                family: .keyCalls,
                metric: MetricContract.keyCalls.name,
                labels: [("outcome", "rejected")],
                value: .counter(rejected),
                presence: .always
            )
        )
        slots.append(
            Slot(
                family: .keyCalls,
                metric: MetricContract.keyCalls.name,
                labels: [("outcome", "shadow_rejected")],
                value: .counter(shadowRejected),
                presence: .shadow
            )
        )
        // The transitions a breaker makes by itself first, then every other ordered pair once it occurred.
        let automatic = MetricContract.automaticTransitions
        let others = (0..<UInt8(StateTable.count)).flatMap { from in
            (0..<UInt8(StateTable.count)).compactMap { to -> (from: UInt8, to: UInt8)? in
                from != to && !automatic.contains { $0 == (from, to) } ? (from, to) : nil
            }
        }
        for (index, pair) in (automatic + others).enumerated() {
            slots.append(
                Slot(
                    family: .keyTransitions,
                    metric: MetricContract.keyTransitions.name,
                    labels: [("from", StateTable.labels[Int(pair.from)]), ("to", StateTable.labels[Int(pair.to)])],
                    value: .counter(transitions + StateTable.pairIndex(from: pair.from, to: pair.to)),
                    presence: index < automatic.count ? .always : .onceCounted
                )
            )
        }
        for outcome in ExecutedOutcome.allCases {
            let name = MetricContract.keyCallDuration.name
            let labels = [("outcome", outcome.label)]
            slots.append(
                Slot(
                    family: .keyCallDuration,
                    metric: name + "_bucket",
                    labels: labels,
                    value: .histogram,
                    presence: .histograms,
                    isBucket: true
                )
            )
            for suffix in ["_sum", "_count"] {
                slots.append(
                    Slot(
                        family: .keyCallDuration,
                        metric: name + suffix,
                        labels: labels,
                        value: .histogram,
                        presence: .histograms
                    )
                )
            }
        }
        return slots
    }()

    /// The value kind of each slot.
    static let values: [Value] = slots.map(\.value)
    /// The presence of each slot.
    static let presences: [Presence] = slots.map(\.presence)

    /// The slots of each key family, by `BreakerFamily.rawValue` (empty for the others).
    static let familySlots: [Range<Int>] = BreakerFamily.allCases.map { family in
        let indices = slots.indices.filter { slots[$0].family == family }
        guard let first = indices.first, let last = indices.last else { return 0..<0 }
        return first..<(last + 1)
    }

    /// The first histogram slot: outcome `o` has its `_bucket`, `_sum` and `_count` slots at
    /// `histogramSlots + 3 * o`, `+ 1` and `+ 2`.
    static let histogramSlots = familySlots[BreakerFamily.keyCallDuration.rawValue].lowerBound

    /// Each slot's tail: `,label="value"} `, or `,outcome="…",le="` for a `_bucket` slot.
    static let tails: [[UInt8]] = slots.map { slot in
        var tail: [UInt8] = []
        for (label, value) in slot.labels {
            tail.append(UInt8(ascii: ","))
            tail.appendLabel(label, value)
        }
        tail.append(contentsOf: (slot.isBucket ? #",le=""# : "} ").utf8)
        return tail
    }

    /// Each slot's labels after `key` as protobuf `label` fields of a `Metric`.
    static let protobufLabels: [[UInt8]] = slots.map { slot in
        slot.labels.flatMap { ProtobufLabels.labelPairField($0.0, $0.1) }
    }

    // MARK: Rendering plans

    /// What rendering one key family needs, computed once, so that a scrape reads it through a few buffers instead
    /// of looking up each slot's presence, value and tail in the tables above for every sample.
    struct FamilyPlan {
        let slots: Range<Int>
        /// Bit `j` stands for slot `slots.lowerBound + j`: the slots every key has.
        let alwaysMask: UInt32
        /// The slots a key of a breaker in shadow mode has besides.
        let shadowMask: UInt32
        /// The slots a key has once their counter is above 0, with the counter's cell.
        let onceCounted: [(bit: UInt32, cell: Int)]
        /// Per slot of the family: the counter's cell, or `-1 - state` for a state slot (1 when the key is in it).
        let codes: [Int]
        /// The slots' tails back to back; slot `j`'s is `tails[tailEnds[j]..<tailEnds[j + 1]]`.
        let tails: [UInt8]
        let tailEnds: [Int]

        init(_ family: BreakerFamily) {
            let slots = KeyLayout.familySlots[family.rawValue]
            self.slots = slots
            var always: UInt32 = 0
            var shadow: UInt32 = 0
            var once: [(bit: UInt32, cell: Int)] = []
            var codes: [Int] = []
            var tails: [UInt8] = []
            var ends = [0]
            for (offset, slot) in slots.enumerated() {
                let bit = UInt32(1) << UInt32(offset)
                let code: Int
                switch KeyLayout.values[slot] {
                case .stateIs(let raw): code = -1 - Int(raw)
                case .counter(let cell): code = cell
                case .histogram: code = 0
                }
                codes.append(code)
                switch KeyLayout.presences[slot] {
                case .always: always |= bit
                case .shadow: shadow |= bit
                case .onceCounted: once.append((bit, code))
                case .histograms: break
                }
                tails.append(contentsOf: KeyLayout.tails[slot])
                ends.append(tails.count)
            }
            alwaysMask = always
            shadowMask = shadow
            onceCounted = once
            self.codes = codes
            self.tails = tails
            tailEnds = ends
        }

        /// The slots `key` has now.
        func mask(of key: KeySeries) -> UInt32 {
            var mask = alwaysMask
            if key.shadow { mask |= shadowMask }
            for (bit, cell) in onceCounted where key.cells.load(cell) > 0 { mask |= bit }
            return mask
        }
    }

    /// The plan of each key family by `BreakerFamily.rawValue` (nil for the others, and for the histograms, which
    /// are rendered by their own code).
    static let plans: [FamilyPlan?] = BreakerFamily.allCases.map { family in
        switch family {
        case .keyState, .keyCalls, .keyTransitions: FamilyPlan(family)
        default: nil
        }
    }
}
