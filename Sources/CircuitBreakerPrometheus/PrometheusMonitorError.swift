/// Why a ``PrometheusMonitor`` refused to register a breaker; thrown by ``PrometheusMonitor/bind(to:)``, so the
/// breaker's creation fails with it.
///
/// ```swift
/// do { _ = try registry.breaker(named: tenantID) }
/// catch let error as PrometheusMonitorError where error.code == .tooManyBreakers { … }
/// ```
public struct PrometheusMonitorError: Error, Hashable, CustomStringConvertible {
    /// What went wrong. New codes may be added without breaking the API.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Backing: Hashable, Sendable {
            case tooManyBreakers
            case duplicateBreakerName
            case unconvertibleRegistryFamily
        }

        private let backing: Backing

        private init(_ backing: Backing) {
            self.backing = backing
        }

        /// The Prometheus registry already holds the series of
        /// ``PrometheusMonitor/Configuration-swift.struct/maximumBreakers`` breakers; the rejection is counted in
        /// `circuit_breaker_registrations_rejected_total`.
        public static let tooManyBreakers = Code(.tooManyBreakers)
        /// A breaker of the same name is already registered on the Prometheus registry: the two would share (and
        /// garble) one set of series.
        public static let duplicateBreakerName = Code(.duplicateBreakerName)
        /// A family of the Prometheus registry's text could not be converted to OpenMetrics or protobuf, and was
        /// left out of that exposition (see ``PrometheusMonitor/conversionErrors``); the text exposition has it.
        public static let unconvertibleRegistryFamily = Code(.unconvertibleRegistryFamily)

        /// A short name of the code.
        public var description: String {
            switch backing {
            case .tooManyBreakers: "tooManyBreakers"
            case .duplicateBreakerName: "duplicateBreakerName"
            case .unconvertibleRegistryFamily: "unconvertibleRegistryFamily"
            }
        }
    }

    /// What went wrong.
    public let code: Code
    /// The breaker that was refused.
    public let breakerName: String
    /// The limit in force, for ``Code/tooManyBreakers``.
    public let limit: Int?
    /// What could not be converted and why, for ``Code/unconvertibleRegistryFamily``.
    public let detail: String?
    /// The source file that raised the error (for debugging; not compared).
    public let file: String
    /// The source line that raised the error (for debugging; not compared).
    public let line: Int

    /// Creates an error.
    public init(
        _ code: Code,
        breakerName: String,
        limit: Int? = nil,
        detail: String? = nil,
        file: String = #fileID,
        line: Int = #line
    ) {
        self.code = code
        self.breakerName = breakerName
        self.limit = limit
        self.detail = detail
        self.file = file
        self.line = line
    }

    /// Errors are equal when their codes are, as swift-service-lifecycle's `ServiceGroupError`.
    public static func == (lhs: PrometheusMonitorError, rhs: PrometheusMonitorError) -> Bool {
        lhs.code == rhs.code
    }

    /// Hashes the code.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(code)
    }

    /// A sentence for a person.
    public var description: String {
        switch code {
        case .tooManyBreakers:
            "cannot export circuit breaker \"\(breakerName)\": the Prometheus registry already holds the maximum "
                + "of \(limit ?? 0) breakers (raise PrometheusMonitor.Configuration.maximumBreakers, or remove "
                + "unused breakers from their registry)"
        case .duplicateBreakerName:
            "cannot export circuit breaker \"\(breakerName)\": a breaker of that name is already registered on "
                + "this Prometheus registry"
        case .unconvertibleRegistryFamily:
            "cannot convert a family of the Prometheus registry to OpenMetrics or protobuf; it is left out of those "
                + "formats: \(detail ?? "no detail")"
        default:
            "cannot export circuit breaker \"\(breakerName)\": \(code)"
        }
    }
}
