/// Writes the Prometheus text exposition (format 0.0.4) of the current metric values by appending to a buffer.
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

/// Supplies the status section of the landing page (`GET /`) as plain text, for example one line per circuit
/// breaker with its state. The server escapes it for HTML and shows it preformatted, so any text is safe.
/// Called once per landing-page request on a worker thread.
public typealias StatusProvider = @Sendable () -> String
