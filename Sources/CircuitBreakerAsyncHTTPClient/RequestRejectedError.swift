#if AsyncHTTPClientSupport
    import CircuitBreaker

    /// Thrown by ``CircuitBreakingHTTPClient`` when the breaker of a request's key refuses the request: nothing was
    /// sent, no connection was made.
    ///
    /// ```swift
    /// do {
    ///     let response = try await partners.execute(request)
    /// } catch let rejected as RequestRejectedError {
    ///     logger.info("\(rejected.key) is \(rejected.state); retry after \(String(describing: rejected.retryAfter))")
    /// }
    /// ```
    public struct RequestRejectedError: Error, Hashable, CustomStringConvertible {
        /// The request's key: the breaker of the group that refused it (an origin such as `https://api.example:443` by
        /// default).
        public let key: String
        /// The core's rejection: the group's name as ``/CircuitBreaker/CallRejectedError/breakerName``, the state, the
        /// retry delay.
        public let rejection: CallRejectedError

        /// Creates a rejection of `key`.
        public init(key: String, rejection: CallRejectedError) {
            self.key = key
            self.rejection = rejection
        }

        /// The state that refused the request: `open`, `forcedOpen`, or `halfOpen` when every trial slot was taken.
        public var state: CircuitState { rejection.state }

        /// How long until the key's breaker admits a request again, as far as it knows (a `Retry-After` it honoured
        /// included): the rest of the open wait, `.zero` in half-open, `nil` when forced open.
        public var retryAfter: Duration? { rejection.retryAfter }

        /// For example `circuit breaker "partners" is open for key "https://api.example:443", request not sent; retry
        /// after 30.0 seconds`.
        public var description: String {
            let retry = retryAfter.map { "; retry after \($0)" } ?? "; retry when an operator resets it"
            return "circuit breaker \"\(rejection.breakerName)\" is \(state.label) for key \"\(key)\", request not sent"
                + retry
        }
    }
#endif
