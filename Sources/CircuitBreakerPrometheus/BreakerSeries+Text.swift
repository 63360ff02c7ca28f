import CircuitBreakerInternals
import CircuitBreaker

/// The two text formats the breakers' families are rendered in. Their samples are the same bytes; they differ in
/// the family headers (``BreakerFamily/headers(_:)``) and in the exemplars OpenMetrics adds to bucket samples.
enum TextFormat {
    /// The Prometheus text format 0.0.4.
    case prometheus
    /// OpenMetrics 1.0, without the closing `# EOF`.
    case openMetrics
}

extension BreakerSeries {
    /// Appends the family's header lines and the samples of every breaker (nothing if no breaker has a series in
    /// the family): the family's samples, grouped, breaker after breaker, each reused breaker's from its rendering
    /// of this scrape and each other breaker's from its cells (see ``SeriesRenderCache``; ``prepareForScrape()``
    /// ran for each, and ``prepareText(as:scratch:)`` for each reused one); the caller keeps every breaker's
    /// series alive. The transitions that `StateTable` did not expect follow the family's samples, read from the
    /// cells of every breaker, reused or not (renderings never hold them).
    static func render(
        _ family: BreakerFamily,
        of renderings: [ScrapedRendering],
        as format: TextFormat,
        into buffer: inout [UInt8]
    ) {
        let raw = family.rawValue
        renderings.withUnsafeBufferPointer { renderings in
            var bound = 0
            for index in renderings.indices {
                if let ends = renderings[index].familyEnds {
                    let bytes = ends[raw &+ 1] &- ends[raw]
                    if bytes > 0 { bound &+= bytes &+ NumberFormatting.maximumLength }
                } else {
                    bound &+= renderings[index].series._withUnsafeGuaranteedRef { $0.bound(of: family, as: format) }
                }
            }
            guard bound > 0 else { return }
            let header = BreakerFamily.headers(format)[raw]
            let slots = SeriesLayout.familySlots[raw]
            let values = SeriesLayout.values
            buffer.appendRendered(bound: bound &+ header.count) { writer in
                writer.write(header)
                for index in renderings.indices {
                    let scraped = renderings[index]
                    guard let bytes = scraped.bytes, let ends = scraped.familyEnds else {
                        // Read anew: rendered from its cells, as ``renderFamilies(as:state:into:ends:)`` renders
                        // it.
                        scraped.series._withUnsafeGuaranteedRef { series in
                            if family == .callDuration {
                                series.writeHistograms(as: format, into: &writer)
                            } else {
                                // Writes nothing when the breaker has no series in the family (no slot has a
                                // prefix).
                                _ = series.write(slots, values: values, state: nil, mark: -1, into: &writer)
                            }
                        }
                        continue
                    }
                    let start = ends[raw]
                    let end = ends[raw &+ 1]
                    if family == .stateSeconds, scraped.projectedNanoseconds >= 0 {
                        // Reused: the current state's number alone is rewritten.
                        let value = scraped.currentStateValue
                        writer.write(UnsafeBufferPointer(start: bytes + start, count: value.lowerBound &- start))
                        // The same bytes as the `Double` a reading stores (``BreakerSeries/seconds(nanoseconds:)``)
                        // renders, in far fewer instructions.
                        let nanoseconds = scraped.projectedNanoseconds
                        writer.writeNumber { NumberFormatting.write(secondsOfNanoseconds: nanoseconds, to: $0) }
                        writer.write(
                            UnsafeBufferPointer(start: bytes + value.upperBound, count: end &- value.upperBound)
                        )
                    } else {
                        writer.write(UnsafeBufferPointer(start: bytes + start, count: end &- start))
                    }
                }
            }
            if family == .transitions {
                for scraped in renderings {
                    scraped.series._withUnsafeGuaranteedRef { $0.appendUnexpectedTransitions(into: &buffer) }
                }
            }
        }
    }

    /// Makes this breaker's rendering in `format` current: renders it anew unless it was rendered since the last
    /// refresh, for the state the reused time is projected for. `scratch` is room to render in, reused across
    /// breakers.
    func prepareText(as format: TextFormat, scratch: inout RenderScratch) {
        let index = format.cacheIndex
        if let rendered = cache.formats[index], rendered.version == cache.version,
            cache.projectedNanoseconds == nil
                || rendered.markedState == cache.reading.map({ UInt64($0.state.rawValue) })
        {
            return
        }
        scratch.clear()
        let state = cells.load(SeriesLayout.state)
        let marked = renderFamilies(as: format, state: state, into: &scratch.bytes, ends: &scratch.ends)
        let rendered = cache.renderingToRewrite(format: index)
        rendered.store(scratch.bytes, ends: scratch.ends)
        rendered.version = cache.version
        rendered.currentStateValue = marked
        rendered.markedState = state
        if let reading = cache.reading, state != UInt64(reading.state.rawValue) {
            // An event changed the gauges since the reading (it will have moved the stamp by the next scrape): show
            // the cells as they are now, without projecting the reading's time onto another state's sample.
            cache.projectedNanoseconds = nil
        }
        cache.formats[index] = rendered
    }

    /// Renders every breaker family of this breaker, family after family, recording in `ends` where each ends;
    /// returns where the number of state `state`'s time-in-state sample is.
    private func renderFamilies(
        as format: TextFormat,
        state: UInt64,
        into bytes: inout [UInt8],
        ends: inout [Int]
    ) -> Range<Int> {
        let values = SeriesLayout.values
        var currentStateValue = 0..<0
        ends.append(0)
        for family in BreakerFamily.allCases.prefix(SeriesRenderCache.familyCount) {
            let bound = bound(of: family, as: format)
            if bound > 0 {
                let start = bytes.count
                let slots = SeriesLayout.familySlots[family.rawValue]
                let mark = family == .stateSeconds ? slots.lowerBound &+ Int(state) : -1
                var marked = 0..<0
                bytes.appendRendered(bound: bound) { writer in
                    if family == .callDuration {
                        writeHistograms(as: format, into: &writer)
                    } else {
                        marked = write(slots, values: values, state: state, mark: mark, into: &writer)
                    }
                }
                if family == .stateSeconds {
                    currentStateValue = (start &+ marked.lowerBound)..<(start &+ marked.upperBound)
                }
            }
            ends.append(bytes.count)
        }
        return currentStateValue
    }

    /// The most bytes this breaker's samples of `family` take: their prefixes, plus a number and a line feed each
    /// (and room for an exemplar on each bucket sample, in OpenMetrics, once the breaker has any).
    @inline(__always)
    func bound(of family: BreakerFamily, as format: TextFormat) -> Int {
        if family == .callDuration {
            guard format == .openMetrics, exemplars.load() != nil, let durations else { return histogramBound }
            return histogramBound &+ ExecutedOutcome.allCases.count &* durations.textBuckets.count &* Self.exemplarBound
        }
        let slots = SeriesLayout.familySlots[family.rawValue]
        let text = Int(prefixEnds[slots.upperBound] &- prefixEnds[slots.lowerBound])
        return text == 0 ? 0 : text &+ slots.count &* (NumberFormatting.maximumLength &+ 1)
    }

    /// ` # {trace_id="…"} value timestamp`: the trace id escaped (at most twice its length) and two numbers.
    private static let exemplarBound =
        16 + 2 * DurationExemplars.maximumTraceIDLength + 2 * (NumberFormatting.maximumLength + 1)

    /// Writes the samples of `slots`, for state `state` (nil: the one the cells hold); returns where the number of
    /// slot `mark` is in the writer's bytes.
    func write(
        _ slots: Range<Int>,
        values: [SeriesLayout.Value],
        state: UInt64?,
        mark: Int,
        into writer: inout ExpositionWriter
    ) -> Range<Int> {
        let cells = cells
        let state = state ?? cells.load(SeriesLayout.state)
        var marked = 0..<0
        prefixes.withUnsafeBufferPointer { text in
            prefixEnds.withUnsafeBufferPointer { ends in
                for slot in slots {
                    let start = Int(ends[slot])
                    let end = Int(ends[slot &+ 1])
                    guard start < end else { continue }
                    writer.write(UnsafeBufferPointer(rebasing: text[start..<end]))
                    let numberStart = writer.count
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
                    if slot == mark { marked = numberStart..<writer.count }
                    writer.writeLineFeed()
                }
            }
        }
        return marked
    }

    /// The buckets (cumulative, from one reading of each), `_sum` and `_count` of each executed outcome, so that
    /// `le="+Inf"` always equals `_count`. A native histogram shows its `+Inf` bucket only. In OpenMetrics, a bucket
    /// with an exemplar shows it; the `+Inf` bucket of a native histogram shows the latest of the outcome.
    func writeHistograms(as format: TextFormat, into writer: inout ExpositionWriter) {
        guard let durations else { return }
        let bucketLabels = durations.textBuckets
        let exemplars = format == .openMetrics ? exemplars.load() : nil
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
                        for bucket in 0..<bucketLabels.count {
                            cumulative &+= bucketCount(outcome, bucket)
                            let labelEnd = bucketLabels.ends[bucket]
                            writer.write(bucketPrefix)
                            writer.write(UnsafeBufferPointer(rebasing: labels[labelStart..<labelEnd]))
                            labelStart = labelEnd
                            let value = cumulative
                            writer.writeNumber { NumberFormatting.write(value, to: $0) }
                            if let exemplars {
                                let exemplar =
                                    nativeHistograms != nil
                                    ? exemplars.latest(outcome)?.exemplar : exemplars.load(outcome, slot: bucket)
                                if let exemplar { Self.write(exemplar, into: &writer) }
                            }
                            writer.writeLineFeed()
                        }
                        writer.write(prefix(slot &+ 1))
                        // Non-negative observations only (negative durations are clamped to 0), so the sum read as
                        // unsigned runs twice as long before it wraps.
                        let sum = UInt64(bitPattern: sumNanoseconds(outcome))
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

    /// The observations of `outcome` in text bucket `bucket` alone: a classic bucket, or for a native histogram
    /// (whose one text bucket is `+Inf`) all of them.
    private func bucketCount(_ outcome: ExecutedOutcome, _ bucket: Int) -> UInt64 {
        if let histograms { return UInt64(truncatingIfNeeded: histograms.count(outcome, bucket: bucket)) }
        return UInt64(truncatingIfNeeded: nativeHistograms?.totalCount(outcome) ?? 0)
    }

    /// The sum of the durations of `outcome`, in nanoseconds.
    func sumNanoseconds(_ outcome: ExecutedOutcome) -> Int64 {
        histograms?.sumNanoseconds(outcome) ?? nativeHistograms?.sumNanoseconds(outcome) ?? 0
    }

    /// ` # {trace_id="…"} seconds timestamp`, as OpenMetrics appends an exemplar to a sample.
    private static func write(_ exemplar: DurationExemplars.Exemplar, into writer: inout ExpositionWriter) {
        var text: [UInt8] = Array(#" # {trace_id=""#.utf8)
        text.appendEscapedLabelValue(exemplar.traceID)
        text.append(contentsOf: #""} "#.utf8)
        text.appendSeconds(nanoseconds: exemplar.nanoseconds)
        text.append(UInt8(ascii: " "))
        text.appendDouble(exemplar.timestamp)
        writer.write(text)
    }

    /// Appends the transitions the breaker made that `StateTable` did not expect (none so far; only should
    /// the core gain one), once they occurred. Off the fast path: it builds each line when needed.
    func appendUnexpectedTransitions(into buffer: inout [UInt8]) {
        for (from, to) in SeriesLayout.unexpectedTransitions {
            let value = cells.load(
                SeriesLayout.transitions + StateTable.pairIndex(from: from.rawValue, to: to.rawValue)
            )
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
