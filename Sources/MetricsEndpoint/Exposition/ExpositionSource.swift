/// Writes an exposition of the current metric values by appending to a buffer: the Prometheus text format 0.0.4
/// for ``ExpositionSources/text``, OpenMetrics 1.0.0 for ``ExpositionSources/openMetrics``.
///
/// `MetricsServer` calls it on its render thread, with an empty buffer that it reuses between scrapes, so a source that
/// appends without reallocating costs no allocation once the buffer has grown. It is never cached: every
/// scrape gets a render that started after the scrape arrived. Scrapes that arrive together share one render (one
/// call), so many concurrent scrapers cost about as much as one. swift-prometheus' registry plugs in directly:
/// ```swift
/// let registry = PrometheusCollectorRegistry()
/// let server = MetricsServer(configuration: .default, logger: logger, source: registry.emit(into:))
/// ```
/// The source must be quick and must not block: a slow source delays every scrape waiting for it, and a scrape that
/// waits longer than half the request timeout is answered with 503.
public typealias ExpositionSource = @Sendable (_ buffer: inout [UInt8]) -> Void

/// The sources of the formats a server offers on its metrics path: text is required, OpenMetrics and protobuf are
/// optional. A scraper gets the format it prefers among those offered (see ``ExpositionFormat``); every format is
/// rendered fresh for each scrape, shared between concurrent scrapes, and gzip-compressed when the scraper accepts
/// it.
///
/// The contract of each source:
/// - **text**: families in text format 0.0.4. `MetricsServer` appends its own metrics.
/// - **openMetrics**: families in OpenMetrics 1.0.0, **without** the final `# EOF` line: the transport appends
///   `# EOF` (`MetricsServer` first appends its own metrics, in OpenMetrics: counter families declared without
///   `_total`, samples with it). A final `# EOF` line that a source writes anyway is removed, so the output stays
///   valid.
/// - **protobuf**: delimited `MetricFamily` messages for the source's metrics. `MetricsServer` appends its own
///   families itself, in every format, so a source never has to remember to.
public struct ExpositionSources: Sendable {
    /// Text format 0.0.4.
    public var text: ExpositionSource
    /// OpenMetrics 1.0.0 without `# EOF`, or `nil` to not offer it.
    public var openMetrics: ExpositionSource?
    /// Delimited protobuf, or `nil` to not offer it.
    public var protobuf: ExpositionSource?

    /// The sources; only `text` is required.
    public init(
        text: @escaping ExpositionSource,
        openMetrics: ExpositionSource? = nil,
        protobuf: ExpositionSource? = nil
    ) {
        self.text = text
        self.openMetrics = openMetrics
        self.protobuf = protobuf
    }

    /// The formats offered.
    public var formats: Set<ExpositionFormat> {
        var formats: Set<ExpositionFormat> = [.prometheusText]
        if self.openMetrics != nil { formats.insert(.openMetrics) }
        if self.protobuf != nil { formats.insert(.protobuf) }
        return formats
    }
}

extension ExpositionSources {
    /// Writes one format into `buffer`, as every transport serves it: the source's output (a line break added where
    /// a text format lacks its last one), then whatever `appendOwnMetrics` adds (the transport's own metrics, in the
    /// format), then `# EOF` for OpenMetrics (a `# EOF` the source wrote itself is removed first, so it comes once and
    /// last). A format that is not offered writes nothing.
    package func write(
        _ format: ExpositionFormat,
        into buffer: inout [UInt8],
        appendingOwnMetrics appendOwnMetrics: (ExpositionFormat, inout [UInt8]) -> Void = { _, _ in }
    ) {
        switch format.kind {
        case .text:
            self.text(&buffer)
            if let last = buffer.last, last != 0x0A { buffer.append(0x0A) }
            appendOwnMetrics(format, &buffer)
        case .openMetrics:
            guard let openMetrics else { return }
            openMetrics(&buffer)
            if let last = buffer.last, last != 0x0A { buffer.append(0x0A) }
            let eof = Array("# EOF\n".utf8)
            if buffer.count >= eof.count, buffer.suffix(eof.count).elementsEqual(eof),
                buffer.count == eof.count || buffer[buffer.count - eof.count - 1] == 0x0A
            {
                buffer.removeLast(eof.count)
            }
            appendOwnMetrics(format, &buffer)
            buffer.append(contentsOf: eof)
        case .protobuf:
            guard let protobuf else { return }
            protobuf(&buffer)
            appendOwnMetrics(format, &buffer)
        }
    }
}
