import CircuitBreakerInternals

extension PrometheusMonitor {
    /// The `Content-Type` of an ``emitOpenMetrics(into:)`` body (OpenMetrics 1.0).
    public static let openMetricsContentType = OpenMetricsText.contentType

    /// The `Content-Type` of an ``emitProtobuf(into:)`` body: delimited `io.prometheus.client.MetricFamily`
    /// messages.
    public static let protobufContentType =
        "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited"

    /// Refreshes the gauges and appends the exposition in OpenMetrics 1.0, **without** the closing `# EOF` line:
    /// the registry's families (converted from its text: a counter declared without `_total`, help and label values
    /// escaped as OpenMetrics requires), then every breaker family, with `# UNIT` where the name ends with its unit,
    /// and the duration buckets' exemplars (`# {trace_id="…"} seconds timestamp`).
    ///
    /// It is a source for a server that appends its own families and then `# EOF`, as `MetricsServer` does:
    /// `openMetricsSource: monitor.emitOpenMetrics(into:)`. Serving it yourself, append
    /// `"# EOF\n"` after your last family (or use ``emitOpenMetricsToString()``).
    ///
    /// Counters get no `_created` samples: Prometheus 2 stores them as series of their own, and every counter here
    /// starts at 0 when its breaker is registered, so a reset is a drop to 0 that `rate()` already handles.
    public func emitOpenMetrics(into buffer: inout [UInt8]) {
        shared.emitOpenMetrics(into: &buffer)
    }

    /// A whole OpenMetrics exposition, `# EOF` included, as a string.
    public func emitOpenMetricsToString() -> String {
        var buffer: [UInt8] = []
        emitOpenMetrics(into: &buffer)
        buffer.append(contentsOf: OpenMetricsText.eof)
        return String(decoding: buffer, as: UTF8.self)
    }

    /// Refreshes the gauges and appends the exposition as protobuf: one length-delimited
    /// `io.prometheus.client.MetricFamily` message per family (``protobufContentType``), the registry's families
    /// first. The only format that carries a native duration histogram
    /// (``Configuration-swift.struct/durationHistogram``) whole; a server may append further families as further
    /// delimited messages.
    public func emitProtobuf(into buffer: inout [UInt8]) {
        shared.emitProtobuf(into: &buffer)
    }

    /// Why the last conversion of the registry's families to OpenMetrics or protobuf left a family out, if it did
    /// (``PrometheusMonitorError/Code/unconvertibleRegistryFamily``); empty when every family converted. The
    /// registry's text comes from swift-prometheus, so this stays empty unless its format changes.
    public var conversionErrors: [PrometheusMonitorError] {
        shared.conversionErrors.withLock { $0 }
    }
}
