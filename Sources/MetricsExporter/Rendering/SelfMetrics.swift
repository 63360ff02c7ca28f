import CircuitBreakerInternals
import Synchronization

/// The server's own metrics, appended to every exposition after the source's output.
///
/// - `metrics_exporter_http_requests_total{code,path}`: requests answered, by status code and route (the route's
///   path pattern, `other` for paths no route has, so the cardinality stays bounded).
/// - `metrics_exporter_scrape_duration_seconds`: histogram of the time to render (and compress) one exposition.
/// - `metrics_exporter_request_timeouts_total`: connections cut because they exceeded the request timeout (a
///   response is only ever cut short this way, or by the client).
/// - `metrics_exporter_evicted_connections_total`: idle connections closed to make room for new ones (see
///   ``ConnectionAdmission``).
/// - `metrics_exporter_failed_logins_total`: login attempts refused (wrong password, unknown user, malformed
///   credentials; see ``Authenticator``).
/// - `metrics_exporter_throttled_logins_total`: requests answered 429 because their address had no login attempt
///   left (see ``FailedLoginLimiter``).
/// - `metrics_exporter_open_connections`: connections open now.
/// - `metrics_exporter_build_info{version}`: always 1.
///
/// Each family is declared once (``Self/families``); the text and OpenMetrics renderings pre-render their lines
/// from the declarations, and ``snapshot(openConnections:)`` gives them format-neutral to a protobuf encoder.
final class SelfMetrics: Sendable {
    /// The version reported by `metrics_exporter_build_info`.
    static let libraryVersion = "0.1.0"
    /// Codes counted in a fixed slot; any other code is counted in a dictionary.
    static let commonCodes: [Int] = [200, 201, 202, 204, 400, 401, 403, 404, 405, 409, 413, 415, 422, 429, 500, 503]
    static let bucketBounds: [Double] = [
        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
    ]

    typealias Declaration = (name: String, help: String, unit: String?, type: ExporterMetricsSnapshot.MetricType)
    static let requests: Declaration = (
        "metrics_exporter_http_requests", "HTTP requests answered by the metrics server.", nil, .counter
    )
    static let duration: Declaration = (
        "metrics_exporter_scrape_duration_seconds", "Time to render and compress one exposition.", "seconds",
        .histogram
    )
    static let timeouts: Declaration = (
        "metrics_exporter_request_timeouts", "Connections closed for exceeding the request timeout.", nil, .counter
    )
    static let evictions: Declaration = (
        "metrics_exporter_evicted_connections", "Idle connections closed to make room for new ones.", nil, .counter
    )
    static let failedLogins: Declaration = (
        "metrics_exporter_failed_logins", "Login attempts refused: wrong password, unknown user or malformed.", nil,
        .counter
    )
    static let throttledLogins: Declaration = (
        "metrics_exporter_throttled_logins", "Requests answered 429: their address had no login attempt left.", nil,
        .counter
    )
    static let connections: Declaration = (
        "metrics_exporter_open_connections", "Connections open to the metrics server.", nil, .gauge
    )
    static let buildInfo: Declaration = (
        "metrics_exporter_build_info", "The version of the metrics exporter library; always 1.", nil, .gauge
    )

    private struct State {
        var common: [UInt64]
        var otherCodes: [Int: [Int: UInt64]] = [:]  // label index -> code -> count
        var buckets = [UInt64](repeating: 0, count: SelfMetrics.bucketBounds.count)
        var durationSum: Double = 0
        var durationCount: UInt64 = 0
    }

    /// The `path` labels: one per route group, then `other`.
    let pathLabels: [String]
    /// The label index counted for paths no route has.
    var otherIndex: Int { self.pathLabels.count - 1 }
    /// The label index whose 200 line is always present (the metrics route).
    private let alwaysShown: Int
    private let state: Locked<State>
    private let timeoutCount = Atomic<UInt64>(0)
    private let evictionCount = Atomic<UInt64>(0)
    private let throttledCount = Atomic<UInt64>(0)
    /// Reads the authenticator's count of failed logins (0 without users).
    private let failedLoginCount: @Sendable () -> UInt64
    /// Pre-rendered headers of each family, in order: [text, OpenMetrics].
    private let headers: [[[UInt8]]]
    private let bucketPrefixes: [[UInt8]]
    private let buildInfoLine: [UInt8]
    private let requestPrefix = Array("\(SelfMetrics.requests.name)_total{code=\"".utf8)
    /// `",path="<label>"} ` for each label, escaped.
    private let pathSuffixes: [[UInt8]]

    /// - Parameters:
    ///   - pathLabels: the path pattern of each route group, in group order.
    ///   - alwaysShown: the group whose `code="200"` series is shown even at 0 (the metrics route).
    ///   - failedLogins: reads the count of failed logins.
    init(pathLabels: [String], alwaysShown: Int, failedLogins: @escaping @Sendable () -> UInt64 = { 0 }) {
        self.failedLoginCount = failedLogins
        self.pathLabels = pathLabels + ["other"]
        self.alwaysShown = alwaysShown
        self.state = Locked(
            State(common: [UInt64](repeating: 0, count: (pathLabels.count + 1) * Self.commonCodes.count))
        )
        self.headers = [false, true].map { openMetrics in
            [
                Self.requests, Self.duration, Self.timeouts, Self.evictions, Self.connections, Self.buildInfo,
                Self.failedLogins, Self.throttledLogins,
            ].map {
                Self.header($0, openMetrics: openMetrics)
            }
        }
        self.bucketPrefixes = (Self.bucketBounds.map { "\($0)" } + ["+Inf"]).map {
            Array("\(Self.duration.name)_bucket{le=\"\($0)\"} ".utf8)
        }
        self.pathSuffixes = self.pathLabels.map { label in
            var bytes = Array("\",path=\"".utf8)
            bytes.appendEscapedLabelValue(label)
            bytes.append(contentsOf: "\"} ".utf8)
            return bytes
        }
        self.buildInfoLine = Array("\(Self.buildInfo.name){version=\"\(Self.libraryVersion)\"} 1\n".utf8)
    }

    /// The `# HELP`/`# TYPE` (and OpenMetrics `# UNIT`) lines of a family.
    private static func header(_ declaration: Declaration, openMetrics: Bool) -> [UInt8] {
        let isCounter = declaration.type == .counter
        let name = isCounter && !openMetrics ? declaration.name + "_total" : declaration.name
        var text = "# HELP \(name) \(declaration.help)\n# TYPE \(name) \(declaration.type)\n"
        if openMetrics, let unit = declaration.unit { text += "# UNIT \(name) \(unit)\n" }
        return Array(text.utf8)
    }

    /// Counts one answered request.
    func recordRequest(pathLabel: Int, code: Int) {
        let label = min(max(pathLabel, 0), self.otherIndex)
        if let slot = Self.commonCodes.firstIndex(of: code) {
            self.state.withLock { $0.common[label * Self.commonCodes.count + slot] &+= 1 }
        } else {
            self.state.withLock { $0.otherCodes[label, default: [:]][code, default: 0] &+= 1 }
        }
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

    /// Counts connections cut by the request timeout.
    func recordTimeouts(_ count: Int) {
        self.timeoutCount.wrappingAdd(UInt64(count), ordering: .relaxed)
    }

    /// The number of connections cut by the request timeout so far.
    var timeouts: UInt64 {
        self.timeoutCount.load(ordering: .relaxed)
    }

    /// Counts idle connections evicted to make room.
    func recordEvictions(_ count: Int) {
        self.evictionCount.wrappingAdd(UInt64(count), ordering: .relaxed)
    }

    /// The number of idle connections evicted so far.
    var evictions: UInt64 {
        self.evictionCount.load(ordering: .relaxed)
    }

    /// Counts a request answered 429 for want of login attempts.
    func recordThrottledLogin() {
        self.throttledCount.wrappingAdd(1, ordering: .relaxed)
    }

    /// Requests answered 429 for want of login attempts so far.
    var throttledLogins: UInt64 {
        self.throttledCount.load(ordering: .relaxed)
    }

    /// Failed logins so far.
    var failedLogins: UInt64 {
        self.failedLoginCount()
    }

    /// Calls `body` with each request count as (label index, code, count), by label then code; the metrics
    /// route's 200 always. Allocates nothing unless codes outside ``commonCodes`` were seen.
    private func forEachRequestCount(_ state: State, _ body: (Int, Int, UInt64) -> Void) {
        for label in self.pathLabels.indices {
            let others = state.otherCodes[label]
            var pending = others.map { $0.sorted { $0.key < $1.key } }?[...] ?? []
            for (slot, code) in Self.commonCodes.enumerated() {
                while let next = pending.first, next.key < code {
                    body(label, next.key, next.value)
                    pending = pending.dropFirst()
                }
                let count = state.common[label * Self.commonCodes.count + slot]
                if count > 0 || (label == self.alwaysShown && code == 200) { body(label, code, count) }
            }
            for (code, count) in pending { body(label, code, count) }
        }
    }

    /// Appends the self-metrics in text format 0.0.4, or in OpenMetrics (without `# EOF`).
    func render(into buffer: inout [UInt8], openConnections: Int, openMetrics: Bool) {
        let snapshot = self.state.withLock { $0 }
        let headers = self.headers[openMetrics ? 1 : 0]
        buffer.append(contentsOf: headers[0])
        self.forEachRequestCount(snapshot) { label, code, count in
            buffer.append(contentsOf: self.requestPrefix)
            buffer.appendDecimal(Int64(code))
            buffer.append(contentsOf: self.pathSuffixes[label])
            buffer.appendDecimal(Int64(clamping: count))
            buffer.append(0x0A)
        }
        buffer.append(contentsOf: headers[1])
        var cumulative: UInt64 = 0
        for (index, prefix) in self.bucketPrefixes.enumerated() {
            cumulative &+= index < snapshot.buckets.count ? snapshot.buckets[index] : 0
            buffer.append(contentsOf: prefix)
            buffer.appendDecimal(Int64(clamping: index < snapshot.buckets.count ? cumulative : snapshot.durationCount))
            buffer.append(0x0A)
        }
        buffer.append(contentsOf: "\(Self.duration.name)_sum ".utf8)
        buffer.appendDouble(snapshot.durationSum)
        buffer.append(contentsOf: "\n\(Self.duration.name)_count ".utf8)
        buffer.appendDecimal(Int64(clamping: snapshot.durationCount))
        buffer.append(0x0A)
        buffer.append(contentsOf: headers[2])
        buffer.append(contentsOf: "\(Self.timeouts.name)_total ".utf8)
        buffer.appendDecimal(Int64(clamping: self.timeouts))
        buffer.append(0x0A)
        buffer.append(contentsOf: headers[3])
        buffer.append(contentsOf: "\(Self.evictions.name)_total ".utf8)
        buffer.appendDecimal(Int64(clamping: self.evictions))
        buffer.append(0x0A)
        buffer.append(contentsOf: headers[6])
        buffer.append(contentsOf: "\(Self.failedLogins.name)_total ".utf8)
        buffer.appendDecimal(Int64(clamping: self.failedLogins))
        buffer.append(0x0A)
        buffer.append(contentsOf: headers[7])
        buffer.append(contentsOf: "\(Self.throttledLogins.name)_total ".utf8)
        buffer.appendDecimal(Int64(clamping: self.throttledLogins))
        buffer.append(0x0A)
        buffer.append(contentsOf: headers[4])
        buffer.append(contentsOf: "\(Self.connections.name) ".utf8)
        buffer.appendDecimal(Int64(max(0, openConnections)))
        buffer.append(0x0A)
        buffer.append(contentsOf: headers[5])
        buffer.append(contentsOf: self.buildInfoLine)
    }

    /// The self-metrics, format-neutral, for a protobuf encoder.
    func snapshot(openConnections: Int) -> ExporterMetricsSnapshot {
        let state = self.state.withLock { $0 }
        typealias Label = ExporterMetricsSnapshot.Label
        func family(_ declaration: Declaration, _ metrics: [ExporterMetricsSnapshot.Metric])
            -> ExporterMetricsSnapshot.Family
        {
            .init(
                name: declaration.name,
                help: declaration.help,
                unit: declaration.unit,
                type: declaration.type,
                metrics: metrics
            )
        }
        var requests: [ExporterMetricsSnapshot.Metric] = []
        self.forEachRequestCount(state) { label, code, count in
            requests.append(
                ExporterMetricsSnapshot.Metric(
                    labels: [
                        Label(name: "code", value: String(code)), Label(name: "path", value: self.pathLabels[label]),
                    ],
                    value: Double(count),
                    histogram: nil
                )
            )
        }
        var cumulative: UInt64 = 0
        var buckets: [(upperBound: Double, cumulativeCount: UInt64)] = []
        for (index, bound) in Self.bucketBounds.enumerated() {
            cumulative &+= state.buckets[index]
            buckets.append((bound, cumulative))
        }
        buckets.append((.infinity, state.durationCount))
        let histogram = ExporterMetricsSnapshot.Histogram(
            buckets: buckets,
            count: state.durationCount,
            sum: state.durationSum
        )
        return ExporterMetricsSnapshot(families: [
            family(Self.requests, requests),
            family(Self.duration, [.init(labels: [], value: 0, histogram: histogram)]),
            family(Self.timeouts, [.init(labels: [], value: Double(self.timeouts), histogram: nil)]),
            family(Self.evictions, [.init(labels: [], value: Double(self.evictions), histogram: nil)]),
            family(Self.failedLogins, [.init(labels: [], value: Double(self.failedLogins), histogram: nil)]),
            family(Self.throttledLogins, [.init(labels: [], value: Double(self.throttledLogins), histogram: nil)]),
            family(Self.connections, [.init(labels: [], value: Double(max(0, openConnections)), histogram: nil)]),
            family(
                Self.buildInfo,
                [.init(labels: [Label(name: "version", value: Self.libraryVersion)], value: 1, histogram: nil)]
            ),
        ])
    }
}
