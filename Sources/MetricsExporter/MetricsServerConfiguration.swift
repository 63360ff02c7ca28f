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
/// ``MetricsServer/start()`` validates again, so an invalid value is a typed ``MetricsServerError`` with code
/// ``MetricsServerError/Code/invalidConfiguration``, never a crash.
public struct MetricsServerConfiguration: Sendable {
    /// The address and port the server listens on.
    public struct BindAddress: Sendable, Hashable, CustomStringConvertible {
        enum Family: Sendable, Hashable {
            case ipv4
            case ipv6
            case dualStack
        }

        let family: Family
        /// The numeric host address (`"127.0.0.1"`, `"::1"`); `"::"` for dual stack.
        public let host: String
        /// The TCP port; 0 asks the kernel for a free (ephemeral) port, reported by ``MetricsServer/boundAddress``.
        public var port: UInt16

        /// Listens on one IPv4 address (`"0.0.0.0"`, all interfaces, by default). Host names are not resolved.
        public static func ipv4(_ host: String = "0.0.0.0", port: UInt16) -> Self {
            Self(family: .ipv4, host: host, port: port)
        }

        /// Listens on one IPv6 address only (`"::"`, all interfaces, by default). Host names are not resolved.
        public static func ipv6(_ host: String = "::", port: UInt16) -> Self {
            Self(family: .ipv6, host: host, port: port)
        }

        /// Listens on all interfaces for IPv4 and IPv6 on one socket.
        public static func dualStack(port: UInt16) -> Self {
            Self(family: .dualStack, host: "::", port: port)
        }

        /// Listens on 127.0.0.1 only.
        public static func loopback(port: UInt16) -> Self {
            .ipv4("127.0.0.1", port: port)
        }

        /// `host:port`, with IPv6 hosts in brackets.
        public var description: String {
            self.family == .ipv4 ? "\(self.host):\(self.port)" : "[\(self.host)]:\(self.port)"
        }
    }

    /// Resource limits. Every one is always applied; the defaults suit a scrape endpoint.
    public struct Limits: Sendable, Hashable {
        /// The most connections open at once. Further connections wait in the listen backlog until a slot frees;
        /// silent or trickling connections free their slots after ``requestTimeout`` at the latest.
        public var connectionLimit: Int
        /// The most connections from one IP address at once, or `nil` for no per-address limit.
        public var perIPConnectionLimit: Int?
        /// Closes a connection after this long without any traffic (whole seconds, rounded up).
        public var connectionTimeout: Duration
        /// The time a connection has to deliver a complete request head (request line and headers), and then
        /// again to take its response. Unlike ``connectionTimeout`` it is not reset by traffic, so a client that
        /// trickles one byte at a time (slowloris) is cut off. Between requests on a keep-alive connection the
        /// connection may also idle for ``connectionTimeout``.
        public var requestTimeout: Duration
        /// Memory for one connection's request head and response headers, in bytes. A request whose head does
        /// not fit is answered by libmicrohttpd with an error and closed.
        public var connectionMemoryLimit: Int
        /// The listen backlog of the socket.
        public var listenBacklog: Int

        /// Creates limits; every parameter has a default.
        public init(
            connectionLimit: Int = 256,
            perIPConnectionLimit: Int? = 32,
            connectionTimeout: Duration = .seconds(10),
            requestTimeout: Duration = .seconds(10),
            connectionMemoryLimit: Int = 32 * 1024,
            listenBacklog: Int = 128
        ) {
            self.connectionLimit = connectionLimit
            self.perIPConnectionLimit = perIPConnectionLimit
            self.connectionTimeout = connectionTimeout
            self.requestTimeout = requestTimeout
            self.connectionMemoryLimit = connectionMemoryLimit
            self.listenBacklog = listenBacklog
        }

        /// 256 connections, 32 per address, 10 s idle and request timeouts, 32 KiB per connection.
        public static let `default` = Limits()
    }

    /// HTTPS with a certificate and private key in PEM.
    public struct TLS: Sendable, Hashable {
        /// The oldest TLS version accepted.
        public enum MinimumVersion: Sendable, Hashable {
            /// TLS 1.2 and newer (the default, as in Prometheus' exporter-toolkit).
            case tls12
            /// TLS 1.3 only.
            case tls13
        }

        /// The certificate chain in PEM, server certificate first.
        public var certificatePEM: String
        /// The private key in PEM.
        public var privateKeyPEM: String
        /// The oldest TLS version accepted.
        public var minimumVersion: MinimumVersion

        /// Creates a TLS configuration from PEM text.
        public init(certificatePEM: String, privateKeyPEM: String, minimumVersion: MinimumVersion = .tls12) {
            self.certificatePEM = certificatePEM
            self.privateKeyPEM = privateKeyPEM
            self.minimumVersion = minimumVersion
        }

        /// Reads the certificate and key from PEM files.
        public init(
            certificateFile: String,
            keyFile: String,
            minimumVersion: MinimumVersion = .tls12
        ) throws(MetricsServerError) {
            guard let certificate = readTextFile(certificateFile) else {
                throw MetricsServerError(.tlsSetupFailed, "cannot read certificate file \(certificateFile)")
            }
            guard let key = readTextFile(keyFile) else {
                throw MetricsServerError(.tlsSetupFailed, "cannot read key file \(keyFile)")
            }
            self.init(certificatePEM: certificate, privateKeyPEM: key, minimumVersion: minimumVersion)
        }

        /// The GnuTLS priority string handed to libmicrohttpd.
        var gnutlsPriorities: String {
            switch self.minimumVersion {
            case .tls12: "NORMAL:-VERS-SSL3.0:-VERS-TLS1.0:-VERS-TLS1.1"
            case .tls13: "NORMAL:-VERS-ALL:+VERS-TLS1.3"
            }
        }
    }

    /// HTTP basic authentication against bcrypt hashes, as in Prometheus' web configuration file.
    public struct BasicAuth: Sendable, Hashable {
        /// User name to bcrypt hash (`$2a$`, `$2b$` or `$2y$`), for example from `htpasswd -nbB user password`.
        public var users: [String: String]
        /// The realm named in the `WWW-Authenticate` challenge.
        public var realm: String

        /// Creates a basic-auth configuration.
        public init(users: [String: String], realm: String = "metrics") {
            self.users = users
            self.realm = realm
        }
    }

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

    /// Replaces ``tls`` and ``basicAuth`` with the settings of a Prometheus web configuration file.
    public mutating func apply(_ webConfiguration: WebConfiguration) {
        self.tls = webConfiguration.tls
        self.basicAuth = webConfiguration.basicAuth
    }

    /// Checks every setting; throws ``MetricsServerError/Code/invalidConfiguration`` naming the first bad one.
    public func validate() throws(MetricsServerError) {
        func invalid(_ message: String, line: Int = #line) -> MetricsServerError {
            MetricsServerError(.invalidConfiguration, message, line: line)
        }
        switch self.bindAddress.family {
        case .ipv4:
            guard parseIPv4(self.bindAddress.host) != nil else {
                throw invalid("bindAddress: '\(self.bindAddress.host)' is not a numeric IPv4 address")
            }
        case .ipv6, .dualStack:
            guard parseIPv6(self.bindAddress.host) != nil else {
                throw invalid("bindAddress: '\(self.bindAddress.host)' is not a numeric IPv6 address")
            }
        }
        guard (1...64).contains(self.workerThreads) else {
            throw invalid("workerThreads must be 1...64, not \(self.workerThreads)")
        }
        let limits = self.limits
        guard (self.workerThreads...65_536).contains(limits.connectionLimit) else {
            throw invalid("limits.connectionLimit must be \(self.workerThreads)...65536, not \(limits.connectionLimit)")
        }
        if let perIP = limits.perIPConnectionLimit, perIP < 1 {
            throw invalid("limits.perIPConnectionLimit must be at least 1 (or nil), not \(perIP)")
        }
        guard limits.connectionTimeout >= .seconds(1), limits.connectionTimeout <= .seconds(86_400) else {
            throw invalid("limits.connectionTimeout must be 1 s...1 day, not \(limits.connectionTimeout)")
        }
        guard limits.requestTimeout >= .milliseconds(100), limits.requestTimeout <= .seconds(3_600) else {
            throw invalid("limits.requestTimeout must be 100 ms...1 h, not \(limits.requestTimeout)")
        }
        guard (4_096...(16 << 20)).contains(limits.connectionMemoryLimit) else {
            throw invalid("limits.connectionMemoryLimit must be 4 KiB...16 MiB, not \(limits.connectionMemoryLimit)")
        }
        guard (1...65_535).contains(limits.listenBacklog) else {
            throw invalid("limits.listenBacklog must be 1...65535, not \(limits.listenBacklog)")
        }
        if let level = self.gzipLevel, !(1...9).contains(level) {
            throw invalid("gzipLevel must be 1...9 (or nil), not \(level)")
        }
        guard self.shutdownGracePeriod >= .zero, self.shutdownGracePeriod <= .seconds(3_600) else {
            throw invalid("shutdownGracePeriod must be 0...1 h, not \(self.shutdownGracePeriod)")
        }
        let path = self.metricsPath
        guard path.hasPrefix("/"), path.count > 1, path.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != 0x3F }),
            !Route.reservedPaths.contains(path)
        else {
            throw invalid("metricsPath must be an absolute path without spaces or '?', not '/' or a health path")
        }
        if let tls = self.tls {
            guard tls.certificatePEM.contains("-----BEGIN "), tls.privateKeyPEM.contains("-----BEGIN ") else {
                throw invalid("tls: the certificate and the key must be PEM text")
            }
        }
        if let auth = self.basicAuth {
            guard !auth.users.isEmpty else {
                throw invalid("basicAuth.users is empty: no one could scrape")
            }
            for (user, hash) in auth.users.sorted(by: { $0.key < $1.key }) {
                guard !user.isEmpty, !user.contains(":"), user.utf8.allSatisfy({ $0 >= 0x20 && $0 != 0x7F }) else {
                    throw invalid("basicAuth: user name '\(user)' is empty or holds ':' or control characters")
                }
                guard isBcryptHash(hash) else {
                    throw invalid("basicAuth: the hash of user '\(user)' is not a bcrypt hash ($2a$, $2b$ or $2y$)")
                }
            }
            guard auth.realm.utf8.allSatisfy({ $0 >= 0x20 && $0 != 0x7F && $0 != 0x22 && $0 != 0x5C }) else {
                throw invalid("basicAuth.realm must not hold quotes, backslashes or control characters")
            }
        }
    }
}

/// Whether `hash` looks like a bcrypt hash: `$2a$`, `$2b$` or `$2y$`, a two-digit cost 04–31, 53 more characters.
func isBcryptHash(_ hash: String) -> Bool {
    let bytes = Array(hash.utf8)
    guard bytes.count == 60, bytes[0] == 0x24, bytes[1] == 0x32, [0x61, 0x62, 0x79].contains(bytes[2]),
        bytes[3] == 0x24, bytes[6] == 0x24
    else { return false }
    guard (0x30...0x39).contains(bytes[4]), (0x30...0x39).contains(bytes[5]) else { return false }
    let cost = Int(bytes[4] - 0x30) * 10 + Int(bytes[5] - 0x30)
    guard (4...31).contains(cost) else { return false }
    return bytes[7...].allSatisfy { byte in
        byte == 0x2E || byte == 0x2F || (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte)
            || (0x61...0x7A).contains(byte)
    }
}

/// Parses a numeric IPv4 address.
func parseIPv4(_ host: String) -> in_addr? {
    var address = in_addr()
    return inet_pton(AF_INET, host, &address) == 1 ? address : nil
}

/// Parses a numeric IPv6 address.
func parseIPv6(_ host: String) -> in6_addr? {
    var address = in6_addr()
    return inet_pton(AF_INET6, host, &address) == 1 ? address : nil
}

/// Reads a whole file as UTF-8 text, or `nil` if it cannot be read. At most 16 MiB.
func readTextFile(_ path: String) -> String? {
    guard let file = fopen(path, "rb") else { return nil }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 16_384)
    while true {
        let count = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
        if count > 0 { bytes.append(contentsOf: chunk[0..<count]) }
        if count < chunk.count { break }
        if bytes.count > 16 << 20 { return nil }
    }
    guard ferror(file) == 0 else { return nil }
    return String(validating: bytes, as: UTF8.self)
}
