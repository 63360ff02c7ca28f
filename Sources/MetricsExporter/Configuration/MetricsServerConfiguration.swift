#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Everything a ``MetricsServer`` needs to know before it starts: where to listen, how many threads, the limits
/// that keep hostile clients from exhausting it, and optional TLS and basic authentication.
///
/// Start from a preset and adjust:
/// ```swift
/// var configuration = MetricsServerConfiguration.default   // [::]:9464, IPv4 and IPv6
/// configuration.limits.connectionTimeout = .seconds(30)
/// try configuration.validate()
/// ```
/// ``MetricsServer/start()`` validates again, so an invalid value is a typed ``/MetricsEndpoint/MetricsServerError``
/// with code ``/MetricsEndpoint/MetricsServerError/Code/invalidConfiguration``, never a crash.
public struct MetricsServerConfiguration: Sendable {
    /// Where to listen.
    public var bindAddress: BindAddress
    /// The number of libmicrohttpd worker threads (an epoll thread pool when more than one).
    public var workerThreads: Int
    /// Connection and request limits.
    public var limits: Limits
    /// HTTPS settings, or `nil` for plain HTTP.
    public var tls: TLS?
    /// Basic-auth users, or `nil` for no authentication.
    public var basicAuth: BasicAuth?
    /// The path the exposition is served on.
    public var metricsPath: String
    /// The gzip level (1 fastest … 9 smallest) used when the client accepts gzip, or `nil` to never compress.
    public var gzipLevel: Int?
    /// How long ``MetricsServer/stop()`` waits for responses in flight before closing every connection.
    public var shutdownGracePeriod: Duration
    /// The name shown on the landing page, normally the embedding service's name.
    public var serviceName: String
    /// The version shown on the landing page.
    public var serviceVersion: String

    /// Creates a configuration; every parameter has a default.
    public init(
        bindAddress: BindAddress = .dualStack(port: 9464),
        workerThreads: Int = 2,
        limits: Limits = .default,
        tls: TLS? = nil,
        basicAuth: BasicAuth? = nil,
        metricsPath: String = "/metrics",
        gzipLevel: Int? = 1,
        shutdownGracePeriod: Duration = .seconds(5),
        serviceName: String = "metrics exporter",
        serviceVersion: String = ""
    ) {
        self.bindAddress = bindAddress
        self.workerThreads = workerThreads
        self.limits = limits
        self.tls = tls
        self.basicAuth = basicAuth
        self.metricsPath = metricsPath
        self.gzipLevel = gzipLevel
        self.shutdownGracePeriod = shutdownGracePeriod
        self.serviceName = serviceName
        self.serviceVersion = serviceVersion
    }

    /// All interfaces, IPv4 and IPv6, port 9464, two worker threads, default limits, no TLS, no authentication.
    public static let `default` = MetricsServerConfiguration()

    /// 127.0.0.1 on the given port (0, the default, picks a free port), otherwise the defaults.
    public static func loopback(port: UInt16 = 0) -> MetricsServerConfiguration {
        MetricsServerConfiguration(bindAddress: .loopback(port: port))
    }

    /// HTTPS settings (the web configuration's `tls_server_config`).
    public typealias TLS = WebConfiguration.TLS
    /// Basic-auth users (the web configuration's `basic_auth_users` and `admin_users`).
    public typealias BasicAuth = WebConfiguration.BasicAuth

    /// Replaces ``tls`` and ``basicAuth`` with the settings of a Prometheus web configuration file.
    public mutating func apply(_ webConfiguration: WebConfiguration) {
        self.tls = webConfiguration.tls
        self.basicAuth = webConfiguration.basicAuth
    }
}
