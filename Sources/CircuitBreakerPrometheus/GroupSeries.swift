import CircuitBreakerInternals
import CircuitBreaker
import PrometheusClientModel
import Synchronization

/// What a ``PrometheusMonitor`` returns from ``PrometheusMonitor/bind(toGroup:)``: the series of one group of keyed
/// breakers. Each key's breaker is bound to it and gets a ``KeySeries``; the group's own series are its key count,
/// its cap, its evictions and overflows, and, through ``aggregate``, the durations, slow calls and fallbacks of
/// every key under the group's name.
///
/// Text is pre-rendered per group (each slot's head, `name{breaker="…"`) and per key (`,key="…"`) once, so a key
/// costs its escaped name once. A scrape settles the group's keys (``BreakerGroup/settleStates()``: an atomic
/// load per closed key), copies the list of keys under this group's lock and renders without it.
///
/// Keys are rendered from their cells at every scrape, never copied from a rendering kept since the last one (as a
/// breaker's are, ``SeriesRenderCache``): a key has no gauges to refresh (its state is one load), so a kept rendering
/// would save only the formatting of a few counters, and would cost about a kilobyte per key and format against a
/// budget of 2 KiB per key that the monitor nearly fills already.
final class GroupSeries: BreakerMonitor {
    let name: String
    private let shared: RegistryState
    /// The group-wide series of the families of ``BreakerFamily/aggregateFamilies``, rendered with the breakers'.
    let aggregate: BreakerSeries
    /// The duration settings of per-key histograms, when the monitor keeps them.
    let perKeyDurations: DurationRecording?
    let maximumKeys: Int
    /// The group's evictions and overflows.
    private let counters = AtomicCells(count: 2)
    /// Each key slot's head, `metric{breaker="…"`, back to back: slot `s` is `heads[headEnds[s]..<headEnds[s + 1]]`.
    private let heads: [UInt8]
    private let headEnds: [Int]
    /// The full prefixes of the group families, by `BreakerFamily.rawValue` (empty for the others).
    private let groupPrefixes: [[UInt8]]
    /// The `breaker` label as a protobuf `LabelPair` field.
    let protobufBreakerLabel: [UInt8]
    /// The overflow policy's `policy` label as a protobuf field.
    private let protobufPolicyLabel: [UInt8]
    private let members = Locked(Members())

    private struct Members {
        var keys: [KeySeries] = []
        weak var group: BreakerGroup?
    }

    private static let evictions = 0
    private static let overflows = 1

    init(group: BreakerGroupDescription, shared: RegistryState, durations: DurationRecording?, perKeyHistograms: Bool) {
        name = group.name
        self.shared = shared
        maximumKeys = group.configuration.maximumKeys
        aggregate = BreakerSeries(
            breaker: BreakerDescription(name: group.name, configuration: group.template),
            shared: shared,
            durations: durations,
            aggregate: true
        )
        perKeyDurations = perKeyHistograms ? durations : nil
        var breakerLabel: [UInt8] = []
        breakerLabel.appendLabel("breaker", group.name)
        var heads: [UInt8] = []
        var ends = [0]
        for slot in KeyLayout.slots {
            heads.append(contentsOf: slot.metric.utf8)
            heads.append(UInt8(ascii: "{"))
            heads.append(contentsOf: breakerLabel)
            ends.append(heads.count)
        }
        self.heads = heads
        headEnds = ends
        let policy = group.configuration.overflow.description
        groupPrefixes = BreakerFamily.allCases.map { family in
            var prefix: [UInt8] = []
            switch family {
            case .groupKeys, .groupMaxKeys, .groupEvictions, .groupOverflow:
                prefix.append(contentsOf: family.name.utf8)
                prefix.append(UInt8(ascii: "{"))
                prefix.append(contentsOf: breakerLabel)
                if family == .groupOverflow {
                    prefix.append(UInt8(ascii: ","))
                    prefix.appendLabel("policy", policy)
                }
                prefix.append(contentsOf: "} ".utf8)
            default:
                break
            }
            return prefix
        }
        protobufBreakerLabel = ProtobufLabels.labelPairField("breaker", group.name)
        protobufPolicyLabel = ProtobufLabels.labelPairField("policy", policy)
    }

    // MARK: The group's events

    /// A key's breaker (or the overflow breaker) is being created: its series.
    func bind(to breaker: BreakerDescription) throws -> any BreakerMonitor {
        let series = KeySeries(group: self, breaker: breaker)
        members.withLock { members in
            series.position.store(members.keys.count, ordering: .relaxed)
            members.keys.append(series)
        }
        return series
    }

    func didAttach(toGroup group: BreakerGroup) {
        members.withLock { $0.group = group }
    }

    func didDetach(fromGroup group: BreakerGroupDescription) {
        shared.remove(self)
    }

    func keyEvicted(_ group: BreakerGroup, key: String) {
        counters.increment(Self.evictions)
    }

    func keyOverflowed(_ group: BreakerGroup, key: String, policy: BreakerGroup.OverflowPolicy) {
        counters.increment(Self.overflows)
    }

    /// Removes a key's series (its breaker was evicted or its group removed): swapped with the last, in O(1).
    func remove(_ series: KeySeries) {
        members.withLock { members in
            let position = series.position.load(ordering: .relaxed)
            guard position >= 0, position < members.keys.count, members.keys[position] === series else { return }
            let last = members.keys.removeLast()
            if last !== series {
                members.keys[position] = last
                last.position.store(position, ordering: .relaxed)
            }
            series.position.store(-1, ordering: .relaxed)
        }
    }

    // MARK: Scrapes

    /// Settles the group's keys (so that each shows the state the next call would meet) and returns them, with the
    /// number of keys the group holds.
    func refreshedKeys() -> (keys: [KeySeries], count: Int) {
        let group = members.withLock { $0.group }
        group?.settleStates()
        let keys = members.withLock { $0.keys }
        return (keys, group?.count ?? keys.count(where: { $0.key != nil }))
    }

    /// One group's keys as a scrape sees them.
    struct Scraped {
        let series: GroupSeries
        let keys: [KeySeries]
        let keyCount: Int
    }

    /// The keys rendered per chunk: the presence of each of their slots is decided once, for the bound and the
    /// writing alike.
    private static let chunk = 64

    /// Appends the family's header and samples for every group (nothing if no group has a series in it).
    static func render(_ family: BreakerFamily, of groups: [Scraped], as format: TextFormat, into buffer: inout [UInt8])
    {
        guard groups.contains(where: { $0.series.hasSeries(in: family, keys: $0.keys) }) else { return }
        buffer.append(contentsOf: BreakerFamily.headers(format)[family.rawValue])
        for group in groups {
            group.series.write(family, keys: group.keys, keyCount: group.keyCount, into: &buffer)
        }
    }

    private func hasSeries(in family: BreakerFamily, keys: [KeySeries]) -> Bool {
        switch family {
        case .groupKeys, .groupMaxKeys, .groupEvictions, .groupOverflow: true
        case .keyCallDuration: perKeyDurations != nil && !keys.isEmpty
        default: !keys.isEmpty
        }
    }

    private func write(_ family: BreakerFamily, keys: [KeySeries], keyCount: Int, into buffer: inout [UInt8]) {
        let value: UInt64
        switch family {
        case .groupKeys: value = UInt64(max(keyCount, 0))
        case .groupMaxKeys: value = UInt64(max(maximumKeys, 0))
        case .groupEvictions: value = counters.load(Self.evictions)
        case .groupOverflow: value = counters.load(Self.overflows)
        case .keyCallDuration:
            writeHistograms(of: keys, into: &buffer)
            return
        default:
            writeKeys(family, keys: keys, into: &buffer)
            return
        }
        let prefix = groupPrefixes[family.rawValue]
        buffer.appendRendered(bound: prefix.count &+ NumberFormatting.maximumLength &+ 1) { writer in
            writer.write(prefix)
            writer.writeNumber { NumberFormatting.write(value, to: $0) }
            writer.writeLineFeed()
        }
    }

    /// The samples of a key family, `chunk` keys at a time: for each chunk, which slots each key has (read once,
    /// for the bound and the writing alike), the bound they need, then the writing, with every table read through
    /// a buffer pointer taken once.
    private func writeKeys(_ family: BreakerFamily, keys: [KeySeries], into buffer: inout [UInt8]) {
        guard let plan = KeyLayout.plans[family.rawValue], !keys.isEmpty else { return }
        let first = plan.slots.lowerBound
        // Each slot's line without the key's fragment: head, tail, the number and a line feed.
        let lineBytes = plan.slots.map {
            headEnds[$0 &+ 1] &- headEnds[$0] &+ plan.tailEnds[$0 &- first &+ 1] &- plan.tailEnds[$0 &- first]
                &+ NumberFormatting.maximumLength &+ 1
        }
        heads.withUnsafeBufferPointer { heads in
            headEnds.withUnsafeBufferPointer { headEnds in
                plan.tails.withUnsafeBufferPointer { tails in
                    plan.tailEnds.withUnsafeBufferPointer { tailEnds in
                        plan.codes.withUnsafeBufferPointer { codes in
                            withUnsafeTemporaryAllocation(of: UInt32.self, capacity: Self.chunk) { masks in
                                var start = 0
                                while start < keys.count {
                                    let end = min(start &+ Self.chunk, keys.count)
                                    var bound = 0
                                    for index in start..<end {
                                        let key = keys[index]
                                        let mask = plan.mask(of: key)
                                        masks[index &- start] = mask
                                        var bits = mask
                                        while bits != 0 {
                                            let slot = bits.trailingZeroBitCount
                                            bits &= bits &- 1
                                            bound &+= lineBytes[slot] &+ key.textFragment.count
                                        }
                                    }
                                    buffer.appendRendered(bound: bound) { writer in
                                        for index in start..<end {
                                            let key = keys[index]
                                            let state = Int(key.state)
                                            let cells = key.cells
                                            key.textFragment.withUnsafeBufferPointer { fragment in
                                                var bits = masks[index &- start]
                                                while bits != 0 {
                                                    let offset = bits.trailingZeroBitCount
                                                    bits &= bits &- 1
                                                    let slot = first &+ offset
                                                    writer.write(
                                                        UnsafeBufferPointer(
                                                            rebasing: heads[headEnds[slot]..<headEnds[slot &+ 1]]
                                                        )
                                                    )
                                                    writer.write(fragment)
                                                    writer.write(
                                                        UnsafeBufferPointer(
                                                            rebasing: tails[tailEnds[offset]..<tailEnds[offset &+ 1]]
                                                        )
                                                    )
                                                    let code = codes[offset]
                                                    let value: UInt64 =
                                                        code >= 0 ? cells.load(code) : (-1 &- code == state ? 1 : 0)
                                                    writer.writeNumber { NumberFormatting.write(value, to: $0) }
                                                    writer.writeLineFeed()
                                                }
                                            }
                                        }
                                    }
                                    start = end
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// The per-key histograms: per outcome, the cumulative buckets, `_sum` and `_count`, from one reading of each
    /// bucket (a native histogram shows its `+Inf` bucket only, as a breaker's does). No exemplars per key.
    private func writeHistograms(of keys: [KeySeries], into buffer: inout [UInt8]) {
        guard let durations = perKeyDurations else { return }
        let labels = durations.textBuckets
        var base = 0
        var lines = 0
        for outcome in ExecutedOutcome.allCases {
            let slot = KeyLayout.histogramSlots &+ 3 &* outcome.rawValue
            for (offset, repeats) in [(0, labels.count), (1, 1), (2, 1)] {
                let head = headEnds[slot &+ offset &+ 1] &- headEnds[slot &+ offset]
                base &+=
                    repeats &* (head &+ KeyLayout.tails[slot &+ offset].count &+ NumberFormatting.maximumLength &+ 1)
                lines &+= repeats
            }
            base &+= labels.text.count
        }
        var start = 0
        while start < keys.count {
            let end = min(start &+ Self.chunk, keys.count)
            var bound = 0
            for index in start..<end { bound &+= base &+ lines &* keys[index].textFragment.count }
            buffer.appendRendered(bound: bound) { writer in
                heads.withUnsafeBufferPointer { heads in
                    labels.text.withUnsafeBufferPointer { text in
                        for index in start..<end {
                            writeHistograms(of: keys[index], labels: labels, text: text, heads: heads, into: &writer)
                        }
                    }
                }
            }
            start = end
        }
    }

    private func writeHistograms(
        of key: KeySeries,
        labels: DurationBucketLabels,
        text: UnsafeBufferPointer<UInt8>,
        heads: UnsafeBufferPointer<UInt8>,
        into writer: inout ExpositionWriter
    ) {
        func line(_ slot: Int, _ fragment: UnsafeBufferPointer<UInt8>) {
            writer.write(UnsafeBufferPointer(rebasing: heads[headEnds[slot]..<headEnds[slot &+ 1]]))
            writer.write(fragment)
            writer.write(KeyLayout.tails[slot])
        }
        key.textFragment.withUnsafeBufferPointer { fragment in
            for outcome in ExecutedOutcome.allCases {
                let slot = KeyLayout.histogramSlots &+ 3 &* outcome.rawValue
                var cumulative: UInt64 = 0
                var labelStart = 0
                for bucket in 0..<labels.count {
                    cumulative &+= key.bucketCount(outcome, bucket)
                    line(slot, fragment)
                    writer.write(UnsafeBufferPointer(rebasing: text[labelStart..<labels.ends[bucket]]))
                    labelStart = labels.ends[bucket]
                    let value = cumulative
                    writer.writeNumber { NumberFormatting.write(value, to: $0) }
                    writer.writeLineFeed()
                }
                line(slot &+ 1, fragment)
                let sum = UInt64(bitPattern: key.sumNanoseconds(outcome))
                writer.writeNumber { NumberFormatting.writeSeconds(nanoseconds: sum, to: $0) }
                writer.writeLineFeed()
                line(slot &+ 2, fragment)
                let count = cumulative
                writer.writeNumber { NumberFormatting.write(count, to: $0) }
                writer.writeLineFeed()
            }
        }
    }

    // MARK: Protobuf

    /// Appends the family as one length-delimited `MetricFamily` message with the series of every group (nothing
    /// if no group has a series in it).
    static func encode(_ family: BreakerFamily, of groups: [Scraped], into buffer: inout [UInt8]) {
        guard groups.contains(where: { $0.series.hasSeries(in: family, keys: $0.keys) }) else { return }
        let message = buffer.beginLengthDelimited(nil)
        buffer.append(contentsOf: BreakerFamily.protobufHeaders[family.rawValue])
        for group in groups {
            group.series.encode(family, keys: group.keys, keyCount: group.keyCount, into: &buffer)
        }
        buffer.endLengthDelimited(message)
    }

    private func encode(_ family: BreakerFamily, keys: [KeySeries], keyCount: Int, into buffer: inout [UInt8]) {
        let valueField: UInt8 = family.contract.kind == .counter ? 3 : 2
        let value: Double
        var labels: [UInt8] = []
        switch family {
        case .groupKeys: value = Double(keyCount)
        case .groupMaxKeys: value = Double(maximumKeys)
        case .groupEvictions: value = Double(counters.load(Self.evictions))
        case .groupOverflow:
            value = Double(counters.load(Self.overflows))
            labels = protobufPolicyLabel
        case .keyCallDuration:
            var scratch: [UInt8] = []
            for key in keys { encodeHistograms(of: key, into: &buffer, scratch: &scratch) }
            return
        default:
            encodeKeys(family, keys: keys, valueField: valueField, into: &buffer)
            return
        }
        Self.appendMetric(labels: [protobufBreakerLabel, labels], valueField: valueField, value: value, into: &buffer)
    }

    /// One `Metric` per slot each key has, `chunk` keys at a time into room reserved up front (as the text is):
    /// per metric at most its labels and 2 × 32 bytes for its key, length and value.
    private func encodeKeys(_ family: BreakerFamily, keys: [KeySeries], valueField: UInt8, into buffer: inout [UInt8]) {
        guard let plan = KeyLayout.plans[family.rawValue] else { return }
        let first = plan.slots.lowerBound
        let labels = KeyLayout.protobufLabels
        let breakerLabel = protobufBreakerLabel
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: Self.chunk) { masks in
            var start = 0
            while start < keys.count {
                let end = min(start &+ Self.chunk, keys.count)
                var bound = 0
                for index in start..<end {
                    let key = keys[index]
                    let mask = plan.mask(of: key)
                    masks[index &- start] = mask
                    var bits = mask
                    while bits != 0 {
                        let offset = bits.trailingZeroBitCount
                        bits &= bits &- 1
                        bound &+=
                            breakerLabel.count &+ key.protobufFragment.count &+ labels[first &+ offset].count &+ 64
                    }
                }
                buffer.appendRendered(bound: bound) { writer in
                    for index in start..<end {
                        let key = keys[index]
                        let state = Int(key.state)
                        var bits = masks[index &- start]
                        while bits != 0 {
                            let offset = bits.trailingZeroBitCount
                            bits &= bits &- 1
                            let code = plan.codes[offset]
                            let value: Double = code >= 0 ? Double(key.cells.load(code)) : (-1 &- code == state ? 1 : 0)
                            let slotLabels = labels[first &+ offset]
                            let valueLength = value == 0 ? 0 : 9
                            let length =
                                breakerLabel.count &+ key.protobufFragment.count &+ slotLabels.count &+ 2 &+ valueLength
                            writer.writeNumber { bytes in
                                bytes[0] = 4 << 3 | UInt8(ProtobufWireType.lengthDelimited.rawValue)
                                return 1 &+ UInt64.writeVarint(UInt64(length), to: bytes + 1)
                            }
                            writer.write(breakerLabel)
                            writer.write(key.protobufFragment)
                            writer.write(slotLabels)
                            writer.writeNumber { bytes in
                                bytes[0] = valueField << 3 | UInt8(ProtobufWireType.lengthDelimited.rawValue)
                                bytes[1] = UInt8(valueLength)
                                guard valueLength > 0 else { return 2 }
                                bytes[2] = 1 << 3 | UInt8(ProtobufWireType.fixed64.rawValue)
                                UnsafeMutableRawPointer(bytes + 3).storeBytes(
                                    of: value.bitPattern.littleEndian,
                                    as: UInt64.self
                                )
                                return 11
                            }
                        }
                    }
                }
                start = end
            }
        }
    }

    /// `metric` (field 4 of `MetricFamily`): the labels, and `value` in field `valueField` (empty for 0).
    private static func appendMetric(labels: [[UInt8]], valueField: UInt8, value: Double, into buffer: inout [UInt8]) {
        let valueLength = value == 0 ? 0 : 9
        var length = 2 &+ valueLength
        for label in labels { length &+= label.count }
        buffer.appendKey(4, .lengthDelimited)
        buffer.appendVarint(UInt64(length))
        for label in labels { buffer.append(contentsOf: label) }
        buffer.appendKey(UInt64(valueField), .lengthDelimited)
        buffer.appendVarint(UInt64(valueLength))
        if valueLength > 0 { buffer.appendDoubleField(1, value) }
    }

    /// One `Metric` with a `Histogram` per executed outcome, as a breaker's, without exemplars.
    private func encodeHistograms(of key: KeySeries, into buffer: inout [UInt8], scratch: inout [UInt8]) {
        guard let durations = perKeyDurations else { return }
        for outcome in ExecutedOutcome.allCases {
            scratch.removeAll(keepingCapacity: true)
            if let native = key.nativeHistograms {
                BreakerSeries.encodeNative(native, outcome, exemplars: nil, into: &scratch)
            } else if let classic = key.histograms {
                BreakerSeries.encodeClassic(classic, outcome, durations: durations, exemplars: nil, into: &scratch)
            }
            let labels = KeyLayout.protobufLabels[KeyLayout.histogramSlots &+ 3 &* outcome.rawValue]
            let histogramField = 1 &+ UInt64.varintLength(UInt64(scratch.count)) &+ scratch.count
            buffer.appendKey(4, .lengthDelimited)
            buffer.appendVarint(
                UInt64(protobufBreakerLabel.count &+ key.protobufFragment.count &+ labels.count &+ histogramField)
            )
            buffer.append(contentsOf: protobufBreakerLabel)
            buffer.append(contentsOf: key.protobufFragment)
            buffer.append(contentsOf: labels)
            buffer.appendBytesField(7, scratch)
        }
    }
}

extension KeySeries {
    /// The observations of `outcome` in text bucket `bucket` alone (for a native histogram, all of them).
    func bucketCount(_ outcome: ExecutedOutcome, _ bucket: Int) -> UInt64 {
        if let histograms { return UInt64(truncatingIfNeeded: histograms.count(outcome, bucket: bucket)) }
        return UInt64(truncatingIfNeeded: nativeHistograms?.totalCount(outcome) ?? 0)
    }

    /// The sum of the durations of `outcome`, in nanoseconds.
    func sumNanoseconds(_ outcome: ExecutedOutcome) -> Int64 {
        histograms?.sumNanoseconds(outcome) ?? nativeHistograms?.sumNanoseconds(outcome) ?? 0
    }
}
