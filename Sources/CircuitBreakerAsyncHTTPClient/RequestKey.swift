#if AsyncHTTPClientSupport
    import AsyncHTTPClient

    #if canImport(FoundationEssentials)
        import struct FoundationEssentials.URL
    #else
        import struct Foundation.URL
    #endif

    /// Chooses the breaker of a ``/CircuitBreaker/BreakerGroup`` that a request goes through: the request's key.
    ///
    /// The default, ``origin``, keys by scheme, host and port, so one failing host opens its own breaker and leaves the
    /// others alone. Supply your own to key by endpoint, tenant or anything the request carries:
    ///
    /// ```swift
    /// let byTenant = RequestKey { request in
    ///     request.headers.first(name: "x-tenant") ?? "anonymous"
    /// }
    /// ```
    ///
    /// A key function runs before the breaker is looked up, for every request. What it throws is rethrown to the caller
    /// of ``CircuitBreakingHTTPClient/execute(_:timeout:logger:)`` and no breaker is touched. A key the group refuses
    /// (empty, or longer than its ``/CircuitBreaker/BreakerGroup/Configuration-swift.struct/maximumKeyLength``) throws
    /// ``/CircuitBreaker/BreakerGroupError`` before any connection is made. Keys often come from requests: keep them
    /// few, since each key is a breaker and a set of series, under the group's
    /// ``/CircuitBreaker/BreakerGroup/Configuration-swift.struct/maximumKeys``.
    public struct RequestKey: Sendable {
        /// Computes the key of a request.
        public let key: @Sendable (HTTPClientRequest) throws -> String

        /// Creates a key function.
        public init(_ key: @escaping @Sendable (HTTPClientRequest) throws -> String) {
            self.key = key
        }

        /// The request's origin: `scheme://host:port`, with the scheme and host in lower case and the scheme's default
        /// port written out, so `HTTP://API.example` and `http://api.example:80/v1` share the key
        /// `http://api.example:80`. An IPv6 host keeps its brackets (`http://[::1]:8080`). For a UNIX domain socket
        /// (`http+unix`, `https+unix`, `unix`) the key is the scheme and the socket's path.
        ///
        /// A URL that AsyncHTTPClient would refuse throws the `HTTPClientError` the client would have thrown
        /// (`.invalidURL`, `.emptyScheme`, `.unsupportedScheme`, `.emptyHost`, `.missingSocketPath`), before any
        /// breaker is touched: a malformed URL is the caller's error, not the dependency's.
        public static let origin = RequestKey { request in try origin(of: request.url) }

        /// The origin key of `url` (see ``origin``).
        static func origin(of url: String) throws -> String {
            guard let parsed = URL(string: url) else { throw HTTPClientError.invalidURL }
            guard let schemeText = parsed.scheme else { throw HTTPClientError.emptyScheme }
            let scheme = schemeText.lowercased()
            switch scheme {
            case "http", "https":
                guard var host = parsed.host, !host.isEmpty else { throw HTTPClientError.emptyHost }
                if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
                host = host.lowercased()
                let shownHost = host.contains(":") ? "[\(host)]" : host
                let port = parsed.port ?? (scheme == "https" ? 443 : 80)
                return "\(scheme)://\(shownHost):\(port)"
            case "http+unix", "https+unix":
                guard let socketPath = parsed.host, !socketPath.isEmpty else { throw HTTPClientError.missingSocketPath }
                return "\(scheme)://\(socketPath)"
            case "unix":
                let socketPath = parsed.baseURL?.path ?? parsed.path
                guard !socketPath.isEmpty else { throw HTTPClientError.missingSocketPath }
                return "unix://\(socketPath)"
            default:
                throw HTTPClientError.unsupportedScheme(schemeText)
            }
        }
    }
#endif
