/// The paths the server answers.
enum Route: Int, CaseIterable, Sendable {
    case metrics
    case landingPage
    case healthy
    case healthz
    case unknown

    /// Paths taken by fixed routes; the metrics path cannot be one of them.
    static let reservedPaths: Set<String> = ["/", "/-/healthy", "/healthz"]

    /// The route of a request path (without query string).
    static func match(_ path: UnsafePointer<CChar>, metricsPath: [CChar]) -> Route {
        if Self.equal(path, metricsPath) { return .metrics }
        if Self.equal(path, Self.landingPath) { return .landingPage }
        if Self.equal(path, Self.healthyPath) { return .healthy }
        if Self.equal(path, Self.healthzPath) { return .healthz }
        return .unknown
    }

    /// The `path` label of the self-metrics: the fixed path, or `other` for unknown paths (bounded cardinality).
    func label(metricsPath: String) -> String {
        switch self {
        case .metrics: metricsPath
        case .landingPage: "/"
        case .healthy: "/-/healthy"
        case .healthz: "/healthz"
        case .unknown: "other"
        }
    }

    private static let landingPath = Array("/".utf8CString)
    private static let healthyPath = Array("/-/healthy".utf8CString)
    private static let healthzPath = Array("/healthz".utf8CString)

    /// Compares a C string with a NUL-terminated array.
    private static func equal(_ lhs: UnsafePointer<CChar>, _ rhs: [CChar]) -> Bool {
        for index in rhs.indices {
            if lhs[index] != rhs[index] { return false }
            if rhs[index] == 0 { return true }
        }
        return false
    }
}
