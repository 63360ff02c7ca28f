import CircuitBreakerInternals
import CircuitBreaker
import PrometheusClientModel

extension BreakerSeries {
    /// Appends the family as one length-delimited `MetricFamily` message holding the series of every breaker in
    /// `renderings` (nothing if no breaker has a series in the family), each reused breaker's from its rendering of
    /// this scrape and each other breaker's from its cells (see ``SeriesRenderCache``; ``prepareForScrape()`` ran
    /// for each, and ``prepareProtobuf(scratch:)`` for each reused one); the caller keeps every breaker's series
    /// alive. The transitions `StateTable` did not expect follow the family's metrics, from the cells of every
    /// breaker (renderings never hold them).
    static func encode(
        _ family: BreakerFamily,
        of renderings: [ScrapedRendering],
        scratch: inout RenderScratch,
        into buffer: inout [UInt8]
    ) {
        let raw = family.rawValue
        let slots = SeriesLayout.familySlots[raw]
        let labelBytes = SeriesLayout.protobufLabelBytes[raw]
        renderings.withUnsafeBufferPointer { renderings in
            var bound = 0
            for index in renderings.indices {
                let scraped = renderings[index]
                // Read anew, or re-encoded with the projected time: each metric at most its labels and 2 × 32
                // bytes for its key, length and value.
                let metrics = scraped.series._withUnsafeGuaranteedRef {
                    $0.hasSeries(in: slots) ? slots.count &* ($0.protobufBreakerLabel.count &+ 64) &+ labelBytes : 0
                }
                if let ends = scraped.familyEnds {
                    bound &+= ends[raw &+ 1] &- ends[raw]
                    if family == .stateSeconds, scraped.projectedNanoseconds >= 0 { bound &+= metrics }
                } else {
                    bound &+= metrics
                }
            }
            guard bound > 0 else { return }
            let message = buffer.beginLengthDelimited(nil)
            buffer.append(contentsOf: BreakerFamily.protobufHeaders[raw])
            if family == .callDuration {
                // Histograms are appended to the buffer: one write per breaker.
                for index in renderings.indices {
                    if let bytes = renderings[index].bytes, let ends = renderings[index].familyEnds {
                        buffer.append(
                            contentsOf: UnsafeBufferPointer(
                                start: bytes + ends[raw],
                                count: ends[raw &+ 1] &- ends[raw]
                            )
                        )
                    } else {
                        renderings[index].series._withUnsafeGuaranteedRef {
                            $0.encodeMetrics(family, into: &buffer, scratch: &scratch.histogram)
                        }
                    }
                }
                buffer.endLengthDelimited(message)
                return
            }
            let labels = SeriesLayout.protobufLabels
            let values = SeriesLayout.values
            let valueField: UInt8 = family.contract.kind == .counter ? 3 : 2
            _ = buffer.appendRendered(bound: bound) { writer in
                for index in renderings.indices {
                    let scraped = renderings[index]
                    guard let bytes = scraped.bytes, let ends = scraped.familyEnds else {
                        // Read anew: encoded from its cells, as ``encodeMetrics(_:into:scratch:)`` encodes it.
                        scraped.series._withUnsafeGuaranteedRef { series in
                            if series.hasSeries(in: slots) {
                                series.encode(
                                    slots,
                                    labels: labels,
                                    values: values,
                                    valueField: valueField,
                                    projected: nil,
                                    into: &writer
                                )
                            }
                        }
                        continue
                    }
                    if family == .stateSeconds, scraped.projectedNanoseconds >= 0 {
                        scraped.series._withUnsafeGuaranteedRef {
                            $0.encode(
                                slots,
                                labels: labels,
                                values: values,
                                valueField: valueField,
                                projected: (
                                    slots.lowerBound &+ scraped.projectedState,
                                    Self.seconds(nanoseconds: scraped.projectedNanoseconds)
                                ),
                                into: &writer
                            )
                        }
                    } else {
                        writer.write(UnsafeBufferPointer(start: bytes + ends[raw], count: ends[raw &+ 1] &- ends[raw]))
                    }
                }
            }
            if family == .transitions {
                for scraped in renderings {
                    scraped.series._withUnsafeGuaranteedRef { $0.encodeUnexpectedTransitions(into: &buffer) }
                }
            }
            buffer.endLengthDelimited(message)
        }
    }

    /// Makes this breaker's protobuf rendering current: encodes it anew unless it was encoded since the last
    /// refresh.
    func prepareProtobuf(scratch: inout RenderScratch) {
        let index = SeriesRenderCache.protobufIndex
        if let rendered = cache.formats[index], rendered.version == cache.version { return }
        scratch.clear()
        scratch.ends.append(0)
        for family in BreakerFamily.allCases.prefix(SeriesRenderCache.familyCount) {
            encodeMetrics(family, into: &scratch.bytes, scratch: &scratch.histogram)
            scratch.ends.append(scratch.bytes.count)
        }
        let rendered = cache.renderingToRewrite(format: index)
        rendered.store(scratch.bytes, ends: scratch.ends)
        rendered.version = cache.version
        cache.formats[index] = rendered
    }

    /// This breaker's `Metric`s of `family`, without the family's message around them.
    func encodeMetrics(_ family: BreakerFamily, into buffer: inout [UInt8], scratch: inout [UInt8]) {
        let slots = SeriesLayout.familySlots[family.rawValue]
        guard hasSeries(in: slots) else { return }
        if family == .callDuration {
            encodeHistograms(into: &buffer, scratch: &scratch)
            return
        }
        let valueField: UInt8 = family.contract.kind == .counter ? 3 : 2
        let labels = SeriesLayout.protobufLabels
        let values = SeriesLayout.values
        // Written through a pointer into room reserved up front, as the text is (see ExpositionWriter): each
        // metric at most its labels and 2 × 32 bytes for its key, length and value.
        let bound =
            slots.count &* (protobufBreakerLabel.count &+ 64) &+ SeriesLayout.protobufLabelBytes[family.rawValue]
        buffer.appendRendered(bound: bound) { writer in
            encode(slots, labels: labels, values: values, valueField: valueField, projected: nil, into: &writer)
        }
    }

    func hasSeries(in slots: Range<Int>) -> Bool {
        prefixEnds[slots.upperBound] > prefixEnds[slots.lowerBound]
    }

    /// One `Metric` per present slot: the breaker's label, the slot's labels, and the value as a `Counter` (field 3)
    /// or `Gauge` (field 2), empty for 0; slot `projected.slot` takes `projected.value` instead of its cell's.
    func encode(
        _ slots: Range<Int>,
        labels: [[UInt8]],
        values: [SeriesLayout.Value],
        valueField: UInt8,
        projected: (slot: Int, value: Double)?,
        into writer: inout ExpositionWriter
    ) {
        let state = cells.load(SeriesLayout.state)
        for slot in slots where prefixEnds[slot &+ 1] > prefixEnds[slot] {
            var value: Double =
                switch values[slot] {
                case .counter(let cell): Double(cells.load(cell))
                case .stateIs(let raw): raw == state ? 1 : 0
                case .double(let cell): cells.loadDouble(cell)
                case .constant: threshold ?? 0
                case .histogram: 0
                }
            if let projected, projected.slot == slot { value = projected.value }
            writeMetric(labels: labels[slot], valueField: valueField, value: value, into: &writer)
        }
    }

    /// `metric` (field 4 of `MetricFamily`): the `breaker` label, `labels`, and `value` in field `valueField` of the
    /// `Metric` (an empty message for 0).
    private func writeMetric(labels: [UInt8], valueField: UInt8, value: Double, into writer: inout ExpositionWriter) {
        let valueLength = value == 0 ? 0 : 9
        let length = protobufBreakerLabel.count &+ labels.count &+ 2 &+ valueLength
        writer.writeNumber { bytes in
            bytes[0] = 4 << 3 | UInt8(ProtobufWireType.lengthDelimited.rawValue)
            return 1 &+ UInt64.writeVarint(UInt64(length), to: bytes + 1)
        }
        writer.write(protobufBreakerLabel)
        writer.write(labels)
        writer.writeNumber { bytes in
            bytes[0] = valueField << 3 | UInt8(ProtobufWireType.lengthDelimited.rawValue)
            bytes[1] = UInt8(valueLength)
            guard valueLength > 0 else { return 2 }
            bytes[2] = 1 << 3 | UInt8(ProtobufWireType.fixed64.rawValue)
            UnsafeMutableRawPointer(bytes + 3).storeBytes(of: value.bitPattern.littleEndian, as: UInt64.self)
            return 11
        }
    }

    /// The transitions `StateTable` did not expect, once they occurred (see `appendUnexpectedTransitions`).
    func encodeUnexpectedTransitions(into buffer: inout [UInt8]) {
        for (from, to) in SeriesLayout.unexpectedTransitions {
            let value = cells.load(
                SeriesLayout.transitions + StateTable.pairIndex(from: from.rawValue, to: to.rawValue)
            )
            guard value > 0 else { continue }
            let labels =
                ProtobufLabels.labelPairField("from", from.label) + ProtobufLabels.labelPairField("to", to.label)
            buffer.appendRendered(bound: protobufBreakerLabel.count &+ labels.count &+ 64) { writer in
                writeMetric(labels: labels, valueField: 3, value: Double(value), into: &writer)
            }
        }
    }

    // MARK: Histograms

    /// One `Metric` with a `Histogram` (field 7) per executed outcome.
    private func encodeHistograms(into buffer: inout [UInt8], scratch: inout [UInt8]) {
        guard let durations else { return }
        let exemplars = exemplars.load()
        for outcome in ExecutedOutcome.allCases {
            scratch.removeAll(keepingCapacity: true)
            if let nativeHistograms {
                Self.encodeNative(nativeHistograms, outcome, exemplars: exemplars, into: &scratch)
            } else if let histograms {
                Self.encodeClassic(histograms, outcome, durations: durations, exemplars: exemplars, into: &scratch)
            }
            let labels = SeriesLayout.protobufLabels[SeriesLayout.histogramSlots &+ 3 &* outcome.rawValue]
            // The length is known: no room to reserve and patch.
            let histogramField = 1 &+ UInt64.varintLength(UInt64(scratch.count)) &+ scratch.count
            buffer.appendKey(4, .lengthDelimited)
            buffer.appendVarint(UInt64(protobufBreakerLabel.count &+ labels.count &+ histogramField))
            buffer.append(contentsOf: protobufBreakerLabel)
            buffer.append(contentsOf: labels)
            buffer.appendBytesField(7, scratch)
        }
    }

    /// A classic histogram: count, sum, and the cumulative buckets of the configured bounds (the `+Inf` bucket,
    /// which readers derive from the count, only to carry an exemplar), each with its slot's exemplar.
    static func encodeClassic(
        _ histograms: DurationHistograms,
        _ outcome: ExecutedOutcome,
        durations: DurationRecording,
        exemplars: DurationExemplars?,
        into body: inout [UInt8]
    ) {
        withUnsafeTemporaryAllocation(of: UInt64.self, capacity: histograms.bucketCount) { counts in
            // One reading of every bucket, cumulated, so that the buckets and the count agree.
            var total: UInt64 = 0
            for bucket in 0..<histograms.bucketCount {
                total &+= UInt64(truncatingIfNeeded: histograms.count(outcome, bucket: bucket))
                counts[bucket] = total
            }
            if total > 0 { body.appendVarintField(1, total) }
            let sum = histograms.sumNanoseconds(outcome)
            if sum != 0 { body.appendDoubleField(2, Double(sum) / 1e9) }
            for bucket in 0..<histograms.bucketCount {
                let exemplar = exemplars?.load(outcome, slot: bucket)
                let isInfinity = bucket == durations.upperBounds.count
                if isInfinity && exemplar == nil { break }
                Self.appendBucket(
                    cumulativeCount: counts[bucket],
                    upperBound: isInfinity ? .infinity : durations.upperBounds[bucket],
                    exemplar: exemplar,
                    into: &body
                )
            }
        }
    }

    /// A native histogram of schema 2: count, sum, schema, zero bucket, and the populated buckets as spans (a run
    /// of up to two empty buckets stays inside a span: cheaper than a new one) with their counts as deltas. The
    /// latest exemplar of the outcome rides on a classic bucket (the native bucket it falls in, cumulative count
    /// included), where Prometheus 2.x reads a native histogram's exemplar, and in `exemplars` for later versions.
    static func encodeNative(
        _ histograms: NativeDurationHistograms,
        _ outcome: ExecutedOutcome,
        exemplars: DurationExemplars?,
        into body: inout [UInt8]
    ) {
        let cellCount = NativeDurationHistograms.bucketCount + 1
        withUnsafeTemporaryAllocation(of: Int64.self, capacity: cellCount) { counts in
            let total = histograms.read(outcome, into: counts)
            if total > 0 { body.appendVarintField(1, UInt64(total)) }
            let sum = histograms.sumNanoseconds(outcome)
            if sum != 0 { body.appendDoubleField(2, Double(sum) / 1e9) }
            let latest = exemplars?.latest(outcome)?.exemplar
            if let latest {
                let offset = NativeDurationHistograms.cellOffset(nanoseconds: Int64(clamping: latest.nanoseconds))
                var cumulative: Int64 = 0
                for cell in 0...offset { cumulative &+= counts[cell] }
                let upperBound =
                    offset == 0
                    ? NativeDurationHistograms.zeroThreshold
                    : NativeDurationHistograms.upperBound(ofIndex: NativeDurationHistograms.firstIndex &+ offset &- 1)
                Self.appendBucket(
                    cumulativeCount: UInt64(cumulative),
                    upperBound: upperBound,
                    exemplar: latest,
                    into: &body
                )
            }
            body.appendVarintField(5, UInt64(zigzag: Int64(NativeDurationHistograms.schema)))
            body.appendDoubleField(6, NativeDurationHistograms.zeroThreshold)
            if counts[0] > 0 { body.appendVarintField(7, UInt64(counts[0])) }
            Self.appendSpansAndDeltas(UnsafeBufferPointer(rebasing: counts[1...]), into: &body)
            if let latest {
                let field = body.beginLengthDelimited(16)
                Self.appendExemplarBody(latest, into: &body)
                body.endLengthDelimited(field)
            }
        }
    }

    /// `positive_span` (12) and `positive_delta` (13) of the regular buckets `counts` (index
    /// ``NativeDurationHistograms/firstIndex`` first).
    private static func appendSpansAndDeltas(_ counts: UnsafeBufferPointer<Int64>, into body: inout [UInt8]) {
        // Spans are at least 3 empty buckets apart (shorter gaps are merged), so there are at most (n + 3) / 4 of
        // them: room on the stack, no allocation.
        withUnsafeTemporaryAllocation(of: (start: Int, length: Int).self, capacity: (counts.count &+ 3) / 4 &+ 1) {
            spans in
            var spanCount = 0
            var bucket = 0
            while bucket < counts.count {
                guard counts[bucket] != 0 else {
                    bucket &+= 1
                    continue
                }
                var end = bucket &+ 1
                // Extend over gaps of at most two empty buckets, if a populated one follows.
                while end < counts.count {
                    if counts[end] != 0 {
                        end &+= 1
                    } else if end &+ 1 < counts.count && counts[end &+ 1] != 0 {
                        end &+= 2
                    } else if end &+ 2 < counts.count && counts[end &+ 2] != 0 {
                        end &+= 3
                    } else {
                        break
                    }
                }
                guard spanCount < spans.count else { break }  // unreachable by the bound above; memory stays safe
                spans[spanCount] = (bucket, end &- bucket)
                spanCount &+= 1
                bucket = end
            }
            guard spanCount > 0 else { return }
            var previousEnd: Int?
            for span in spans[..<spanCount] {
                let offset = previousEnd.map { span.start &- $0 } ?? (NativeDurationHistograms.firstIndex &+ span.start)
                let field = body.beginLengthDelimited(12)
                body.appendVarintField(1, UInt64(zigzag: Int64(offset)))
                body.appendVarintField(2, UInt64(span.length))
                body.endLengthDelimited(field)
                previousEnd = span.start &+ span.length
            }
            let field = body.beginLengthDelimited(13)
            var previous: Int64 = 0
            for span in spans[..<spanCount] {
                for bucket in span.start..<(span.start &+ span.length) {
                    body.appendVarint(UInt64(zigzag: counts[bucket] &- previous))
                    previous = counts[bucket]
                }
            }
            body.endLengthDelimited(field)
        }
    }

    /// A `Bucket` (field 3 of `Histogram`).
    private static func appendBucket(
        cumulativeCount: UInt64,
        upperBound: Double,
        exemplar: DurationExemplars.Exemplar?,
        into body: inout [UInt8]
    ) {
        let field = body.beginLengthDelimited(3)
        if cumulativeCount > 0 { body.appendVarintField(1, cumulativeCount) }
        body.appendDoubleField(2, upperBound)
        if let exemplar {
            let exemplarField = body.beginLengthDelimited(3)
            appendExemplarBody(exemplar, into: &body)
            body.endLengthDelimited(exemplarField)
        }
        body.endLengthDelimited(field)
    }

    /// The fields of an `Exemplar`: the `trace_id` label, the duration in seconds, and its timestamp.
    private static func appendExemplarBody(_ exemplar: DurationExemplars.Exemplar, into body: inout [UInt8]) {
        let label = body.beginLengthDelimited(1)
        body.appendBytesField(1, "trace_id".utf8)
        body.appendBytesField(2, exemplar.traceID)
        body.endLengthDelimited(label)
        body.appendDoubleField(2, Double(exemplar.nanoseconds) / 1e9)
        // A Unix time from the breaker's clock; anything else (not finite, before 1970, past year 292 billion)
        // is sent as 0, the epoch, rather than trapping.
        let time = exemplar.timestamp
        let seconds = time.isFinite && time >= 0 && time < 9.2e18 ? time.rounded(.down) : 0
        let timestamp = body.beginLengthDelimited(3)
        if seconds > 0 { body.appendVarintField(1, UInt64(seconds)) }
        let nanos = seconds > 0 ? min(max(((time - seconds) * 1e9).rounded(.down), 0), 999_999_999) : 0
        if nanos > 0 { body.appendVarintField(2, UInt64(nanos)) }
        body.endLengthDelimited(timestamp)
    }
}
