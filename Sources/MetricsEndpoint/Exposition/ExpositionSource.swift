/// Writes an exposition of the current metric values by appending to a buffer: the Prometheus text format 0.0.4
/// for ``ExpositionSources/text``, OpenMetrics 1.0.0 for ``ExpositionSources/openMetrics``.
///
/// The server calls it on its render thread, with an empty buffer that it reuses between scrapes, so a source that
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

/// Writes the length-delimited protobuf exposition (`io.prometheus.client.MetricFamily` messages) by appending to a
/// buffer, including the server's own metrics, which it gets as a format-neutral snapshot: the exporter itself
/// has no protobuf encoder, so the encoder that writes the source's families writes these too.
public typealias ProtobufExpositionSource =
    @Sendable (_ buffer: inout [UInt8], _ exporterMetrics: ExporterMetricsSnapshot) -> Void

/// The sources of the formats a server offers on its metrics path: text is required, OpenMetrics and protobuf are
/// optional. A scraper gets the format it prefers among those offered (see ``ExpositionFormat``); every format is
/// rendered fresh for each scrape, shared between concurrent scrapes, and gzip-compressed when the scraper accepts
/// it.
///
/// The contract of each source:
/// - **text**: families in text format 0.0.4. The server appends its own metrics.
/// - **openMetrics**: families in OpenMetrics 1.0.0, **without** the final `# EOF` line: the server appends its own
///   metrics (in OpenMetrics: counter families declared without `_total`, samples with it) and then `# EOF`. A
///   final `# EOF` line that a source writes anyway is removed, so the output stays valid.
/// - **protobuf**: delimited `MetricFamily` messages for the source's metrics and for the server's own, from the
///   ``ExporterMetricsSnapshot`` it is given.
public struct ExpositionSources: Sendable {
    /// Text format 0.0.4.
    public var text: ExpositionSource
    /// OpenMetrics 1.0.0 without `# EOF`, or `nil` to not offer it.
    public var openMetrics: ExpositionSource?
    /// Delimited protobuf, or `nil` to not offer it.
    public var protobuf: ProtobufExpositionSource?

    /// The sources; only `text` is required.
    public init(
        text: @escaping ExpositionSource,
        openMetrics: ExpositionSource? = nil,
        protobuf: ProtobufExpositionSource? = nil
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

/// Supplies the status section of the landing page (`GET /`) as plain text, for example one line per circuit
/// breaker with its state. The server escapes it for HTML and shows it preformatted, so any text is safe.
/// Called once per landing-page request on a worker thread.
public typealias StatusProvider = @Sendable () -> String
