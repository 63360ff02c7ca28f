#if AsyncHTTPClientSupport
    import NIOHTTP1

    /// Decides whether a response counts as a failure of the dependency for its key's breaker.
    ///
    /// The default counts every 5xx and 429 Too Many Requests: the server is failing or shedding load. Every other
    /// status, 4xx included, is a success: a 404 or a 400 says the dependency is up and answered the caller's mistake.
    /// Errors (connection refused, reset, TLS failures, timeouts) are not responses: the group's template
    /// ``/CircuitBreaker/CircuitBreaker/Configuration/errorClassifier`` decides them, and its default counts them all.
    ///
    /// A response counted as a failure is still returned to the caller, body and all (see
    /// ``CircuitBreakingHTTPClient``). The classifier sees the status and headers only, so it never consumes the body.
    ///
    /// ```swift
    /// // Only 502, 503 and 504 are failures: a 500 is a bug in one handler, not an outage.
    /// let gateways = ResponseClassifier { status, _ in [502, 503, 504].contains(status.code) }
    /// ```
    public struct ResponseClassifier: Sendable {
        /// The predicate: `true` when a response with this status and these headers is a failure.
        public let isFailure: @Sendable (_ status: HTTPResponseStatus, _ headers: HTTPHeaders) -> Bool

        /// Creates a classifier from a predicate that returns `true` for failures.
        public init(isFailure: @escaping @Sendable (_ status: HTTPResponseStatus, _ headers: HTTPHeaders) -> Bool) {
            self.isFailure = isFailure
        }

        /// 5xx and 429 are failures; everything else (1xx–4xx but 429) is a success.
        public static let `default` = ResponseClassifier { status, _ in
            status.code >= 500 || status.code == 429
        }
    }
#endif
