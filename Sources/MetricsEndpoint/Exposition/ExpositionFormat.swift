/// An exposition format a scraper can ask for with its `Accept` header.
///
/// A struct over a private enum, so formats can be added without breaking anyone.
public struct ExpositionFormat: Hashable, Sendable, CustomStringConvertible {
    package enum Kind: Int, CaseIterable, Sendable {
        case text = 0
        case openMetrics = 1
        case protobuf = 2
    }

    package let kind: Kind

    private init(_ kind: Kind) {
        self.kind = kind
    }

    package init(kind: Kind) {
        self.kind = kind
    }

    /// The Prometheus text format 0.0.4: the default, for curl and any client that asks for nothing else.
    public static let prometheusText = ExpositionFormat(.text)
    /// OpenMetrics 1.0.0 text.
    public static let openMetrics = ExpositionFormat(.openMetrics)
    /// Length-delimited `io.prometheus.client.MetricFamily` protocol buffers (needed for native histograms).
    public static let protobuf = ExpositionFormat(.protobuf)

    /// The `Content-Type` the server sends with this format.
    public var contentType: String {
        switch self.kind {
        case .text: "text/plain; version=0.0.4; charset=utf-8"
        case .openMetrics: "application/openmetrics-text; version=1.0.0; charset=utf-8"
        case .protobuf: "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited"
        }
    }

    /// `text`, `openmetrics` or `protobuf`.
    public var description: String {
        switch self.kind {
        case .text: "text"
        case .openMetrics: "openmetrics"
        case .protobuf: "protobuf"
        }
    }
}
