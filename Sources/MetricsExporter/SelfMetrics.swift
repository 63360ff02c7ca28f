import CircuitBreakerInternals
import Synchronization

/// The server's own metrics, appended to every `/metrics` response after the source's output.
///
/// - `metrics_exporter_http_requests_total{code,path}`: requests answered, by status code and route (`other` for
///   unknown paths, so the cardinality stays bounded).
/// - `metrics_exporter_scrape_duration_seconds`: histogram of the time to render (and compress) one exposition.
/// - `metrics_exporter_request_timeouts_total`: connections cut because they exceeded the request timeout.
/// - `metrics_exporter_open_connections`: connections open now.
/// - `metrics_exporter_build_info{version}`: always 1.
final class SelfMetrics: Sendable {
    /// The version reported by `metrics_exporter_build_info`.
    static let libraryVersion = "0.1.0"
    static let codes: [Int] = [200, 400, 401, 404, 405, 413, 500, 503]
    static let bucketBounds: [Double] = [
        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
    ]
    private static let bucketLabels: [String] = bucketBounds.map { "\($0)" } + ["+Inf"]

    private struct State {
        var requests = [UInt64](repeating: 0, count: Route.allCases.count * SelfMetrics.codes.count)
        var buckets = [UInt64](repeating: 0, count: SelfMetrics.bucketBounds.count)
        var durationSum: Double = 0
        var durationCount: UInt64 = 0
    }

    private let state = Locked(State())
    private let timeouts = Atomic<UInt64>(0)
    private let requestPrefixes: [[UInt8]]  // one per (route, code)
    private let header: [UInt8]
    private let histogramHeader: [UInt8]
    private let bucketPrefixes: [[UInt8]]
    private let trailer: [UInt8]
    private let timeoutsHeader: [UInt8] = Array(
        ("# HELP metrics_exporter_request_timeouts_total Connections closed for exceeding the request timeout.\n"
            + "# TYPE metrics_exporter_request_timeouts_total counter\n"
            + "metrics_exporter_request_timeouts_total ").utf8
    )
    private let connectionsHeader: [UInt8] = Array(
        ("# HELP metrics_exporter_open_connections Connections open to the metrics server.\n"
            + "# TYPE metrics_exporter_open_connections gauge\n"
            + "metrics_exporter_open_connections ").utf8
    )

    init(metricsPath: String) {
        let path = Self.escapeLabelValue(metricsPath)
        var prefixes: [[UInt8]] = []
        for route in Route.allCases {
            let label = route == .metrics ? path : route.label(metricsPath: metricsPath)
            for code in Self.codes {
                prefixes.append(Array("metrics_exporter_http_requests_total{code=\"\(code)\",path=\"\(label)\"} ".utf8))
            }
        }
        self.requestPrefixes = prefixes
        self.header = Array(
            """
            # HELP metrics_exporter_http_requests_total HTTP requests answered by the metrics server.
            # TYPE metrics_exporter_http_requests_total counter

            """.utf8
        )
        self.histogramHeader = Array(
            """
            # HELP metrics_exporter_scrape_duration_seconds Time to render and compress one exposition.
            # TYPE metrics_exporter_scrape_duration_seconds histogram

            """.utf8
        )
        self.bucketPrefixes = Self.bucketLabels.map {
            Array("metrics_exporter_scrape_duration_seconds_bucket{le=\"\($0)\"} ".utf8)
        }
        self.trailer = Array(
            """
            # HELP metrics_exporter_build_info The version of the metrics exporter library; always 1.
            # TYPE metrics_exporter_build_info gauge
            metrics_exporter_build_info{version="\(Self.libraryVersion)"} 1

            """.utf8
        )
    }

    /// Counts one answered request.
    func recordRequest(route: Route, code: Int) {
        let codeIndex = Self.codes.firstIndex(of: code) ?? Self.codes.firstIndex(of: 500) ?? 0
        let index = route.rawValue * Self.codes.count + codeIndex
        self.state.withLock { $0.requests[index] &+= 1 }
    }

    /// Observes the render time of one scrape.
    func recordScrape(seconds: Double) {
        self.state.withLock { state in
            if let bucket = Self.bucketBounds.firstIndex(where: { seconds <= $0 }) {
                state.buckets[bucket] &+= 1
            }
            state.durationSum += seconds
            state.durationCount &+= 1
        }
    }

    /// Counts one connection cut by the request timeout.
    func recordTimeouts(_ count: Int) {
        self.timeouts.wrappingAdd(UInt64(count), ordering: .relaxed)
    }

    /// The number of connections cut by the request timeout so far.
    var timeoutCount: UInt64 {
        self.timeouts.load(ordering: .relaxed)
    }

    /// Appends the self-metrics in text format 0.0.4.
    func render(into buffer: inout [UInt8], openConnections: Int) {
        let snapshot = self.state.withLock { $0 }
        buffer.append(contentsOf: self.header)
        let metrics200 = Route.metrics.rawValue * Self.codes.count
        for (index, count) in snapshot.requests.enumerated() where count > 0 || index == metrics200 {
            buffer.append(contentsOf: self.requestPrefixes[index])
            appendDecimal(count, to: &buffer)
            buffer.append(0x0A)
        }
        buffer.append(contentsOf: self.histogramHeader)
        var cumulative: UInt64 = 0
        for (index, prefix) in self.bucketPrefixes.enumerated() {
            cumulative &+= index < snapshot.buckets.count ? snapshot.buckets[index] : 0
            buffer.append(contentsOf: prefix)
            appendDecimal(index < snapshot.buckets.count ? cumulative : snapshot.durationCount, to: &buffer)
            buffer.append(0x0A)
        }
        buffer.append(contentsOf: "metrics_exporter_scrape_duration_seconds_sum \(snapshot.durationSum)\n".utf8)
        buffer.append(contentsOf: "metrics_exporter_scrape_duration_seconds_count ".utf8)
        appendDecimal(snapshot.durationCount, to: &buffer)
        buffer.append(0x0A)
        buffer.append(contentsOf: self.timeoutsHeader)
        appendDecimal(self.timeoutCount, to: &buffer)
        buffer.append(0x0A)
        buffer.append(contentsOf: self.connectionsHeader)
        appendDecimal(UInt64(max(0, openConnections)), to: &buffer)
        buffer.append(0x0A)
        buffer.append(contentsOf: self.trailer)
    }

    /// Escapes a label value: backslash, double quote and line feed.
    static func escapeLabelValue(_ value: String) -> String {
        var result = ""
        for character in value.unicodeScalars {
            switch character {
            case "\\": result += "\\\\"
            case "\"": result += "\\\""
            case "\n": result += "\\n"
            default: result.unicodeScalars.append(character)
            }
        }
        return result
    }
}

/// Appends the decimal digits of `value` without allocating a string.
func appendDecimal(_ value: UInt64, to buffer: inout [UInt8]) {
    if value == 0 {
        buffer.append(0x30)
        return
    }
    var digits:
        (
            UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
            UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8
        ) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    var count = 0
    var remaining = value
    withUnsafeMutableBytes(of: &digits) { storage in
        while remaining > 0 {
            storage[count] = UInt8(0x30 + remaining % 10)
            remaining /= 10
            count += 1
        }
        for index in stride(from: count - 1, through: 0, by: -1) {
            buffer.append(storage[index])
        }
    }
}
