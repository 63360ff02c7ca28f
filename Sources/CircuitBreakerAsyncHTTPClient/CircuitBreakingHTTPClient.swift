#if AsyncHTTPClientSupport
    import AsyncHTTPClient
    import CircuitBreaker
    import CircuitBreakerInternals
    import Logging
    import NIOCore
    import NIOHTTP1

    /// An AsyncHTTPClient `HTTPClient` whose requests go through the breakers of a ``/CircuitBreaker/BreakerGroup``,
    /// one per key: by default one per origin (scheme, host and port), so one failing host opens its own breaker and
    /// the others keep working.
    ///
    /// ```swift
    /// let partners = try registry.group(named: "partners", template: .consecutiveFailures(5))
    /// let client = CircuitBreakingHTTPClient(client: HTTPClient.shared, group: partners)
    /// let response = try await client.execute(HTTPClientRequest(url: "https://quotes.example/v1/price"))
    /// ```
    ///
    /// **What counts.** Each request runs through its key's breaker (``Configuration-swift.struct/key``). A response
    /// counts as a failure when the ``Configuration-swift.struct/classifier`` says so (by default 5xx and 429; other
    /// statuses, 4xx included, are successes). Errors are classified by the group's template
    /// ``/CircuitBreaker/CircuitBreaker/Configuration/errorClassifier``: its default counts every transport error and
    /// timeout as a failure. A request cancelled by its caller is not the dependency's fault: the client's
    /// `HTTPClientError.cancelled` is rethrown as `CancellationError`, which the default classifier ignores.
    ///
    /// **Rejections.** When the key's breaker refuses the request, ``execute(_:timeout:logger:)`` throws
    /// ``RequestRejectedError`` (the key, the state, the retry delay) before any connection is made. A group that is
    /// full with no idle key and the ``/CircuitBreaker/BreakerGroup/OverflowPolicy/reject`` policy throws
    /// ``/CircuitBreaker/BreakerGroupError``, also before any connection.
    ///
    /// **Retry-After.** On a 503 or 429 response, a `Retry-After` field (delay-seconds or an HTTP-date, read against
    /// the group's clock) keeps the key's breaker open for that long with
    /// ``/CircuitBreaker/CircuitBreaker/holdOpen(for:)``, capped at ``Configuration-swift.struct/maximumRetryAfter``.
    /// It acts only when that breaker is open, typically because this very response tripped it; a malformed, negative
    /// or past value is ignored, an absurdly large one is capped.
    ///
    /// **Timeouts.** Two bounds apply, both counted against the key. The request's `timeout` (or
    /// ``Configuration-swift.struct/timeout``) is the client's deadline for the whole exchange, head and body, on the
    /// system clock: when it passes before the response head arrives, the client throws
    /// `HTTPClientError.deadlineExceeded`, which the breaker records as a failure. The key's
    /// ``/CircuitBreaker/CircuitBreaker/Configuration/invocationTimeout``, if the group's configuration sets one,
    /// bounds the wait for the response head on the group's clock: when it passes first, the breaker records a timeout,
    /// cancels the request and throws ``/CircuitBreaker/CallTimeoutError``. Set the invocation timeout no longer than
    /// the request timeout if you want breaker timeouts, not client deadlines, to be what the metrics show.
    ///
    /// **Bodies.** The breaker records the outcome when the response head arrives; streaming the body afterwards is not
    /// part of the call. Every response is returned to the caller, a response counted as a failure included, so its
    /// body can be read (for an error message) or dropped: consume it or let it go as with `HTTPClient.execute`
    /// (AsyncHTTPClient closes the connection of a body dropped unread). A response that arrives after a breaker
    /// timeout is dropped here, and its body with it.
    ///
    /// **Redirects** that the client follows stay under the key of the request as sent, and the classifier sees the
    /// last response.
    ///
    /// **Tracing.** The request runs in the caller's task, or with an invocation timeout in a task that inherits its
    /// task-local values: the caller's `ServiceContext` reaches the client's tracer either way.
    public struct CircuitBreakingHTTPClient: Sendable {
        /// The client that sends the requests. This type does not own it: shut it down yourself (unless it is
        /// `HTTPClient.shared`).
        public let client: HTTPClient
        /// The group whose breakers the requests go through, one per key.
        public let group: BreakerGroup
        /// The knobs: key, classifier, Retry-After cap and default timeout.
        public let configuration: Configuration

        /// Wraps `client`, sending each request through the breaker of its key in `group`.
        public init(client: HTTPClient, group: BreakerGroup, configuration: Configuration = .default) {
            self.client = client
            self.group = group
            self.configuration = configuration
        }

        /// Sends `request` through the breaker of its key and returns the response, whether it counted as a success or
        /// a failure.
        ///
        /// - Parameters:
        ///   - request: The request; its key comes from ``Configuration-swift.struct/key``.
        ///   - timeout: The client's deadline for the whole exchange, from now; `nil` for
        ///     ``Configuration-swift.struct/timeout``. A timeout of zero or less leaves no time: the request is not
        ///     sent, nothing is recorded, and `HTTPClientError.deadlineExceeded` is thrown.
        ///   - logger: Passed to the client.
        /// - Returns: The response, as `HTTPClient.execute` returns it: its body may still be streaming.
        /// - Throws: ``RequestRejectedError`` when the key's breaker refuses the request;
        ///   ``/CircuitBreaker/CallTimeoutError`` when the key's invocation timeout passes first;
        ///   ``/CircuitBreaker/BreakerGroupError`` when the group gives the key no breaker; what the key function
        ///   throws; and the client's errors (`HTTPClientError`, connection errors), with `HTTPClientError.cancelled`
        ///   rethrown as `CancellationError` when the caller's task was cancelled.
        public func execute(
            _ request: HTTPClientRequest,
            timeout: Duration? = nil,
            logger: Logger? = nil
        ) async throws -> HTTPClientResponse {
            let key = try configuration.key.key(request)
            let timeout = timeout ?? configuration.timeout
            guard timeout > .zero else { throw HTTPClientError.deadlineExceeded }
            // NIODeadline's + saturates at the distant future.
            let deadline = NIODeadline.now() + .nanoseconds(timeout.nanoseconds)
            let client = client
            let classifier = configuration.classifier
            let maximumRetryAfter = configuration.maximumRetryAfter
            do {
                return try await group.withBreaker(for: key) { breaker in
                    let response = try await breaker.execute(
                        treatingResultAsFailure: { classifier.isFailure($0.status, $0.headers) }
                    ) {
                        do {
                            return try await client.execute(request, deadline: deadline, logger: logger)
                        } catch let error as HTTPClientError where error == .cancelled && Task.isCancelled {
                            throw CancellationError()
                        }
                    }
                    Self.honourRetryAfter(of: response, on: breaker, maximum: maximumRetryAfter)
                    return response
                }
            } catch let rejection as CallRejectedError {
                throw RequestRejectedError(key: key, rejection: rejection)
            }
        }

        /// Holds `breaker` open for a 503's or 429's `Retry-After`, capped at `maximum`.
        static func honourRetryAfter(of response: HTTPClientResponse, on breaker: CircuitBreaker, maximum: Duration) {
            guard response.status == .serviceUnavailable || response.status == .tooManyRequests, maximum > .zero,
                let value = response.headers.first(name: "retry-after"),
                let seconds = RetryAfter.seconds(in: value, nowSeconds: breaker.clock.wallClockSeconds())
            else { return }
            breaker.holdOpen(for: min(.seconds(seconds), maximum))
        }
    }

    extension CircuitBreakingHTTPClient {
        /// How a ``CircuitBreakingHTTPClient`` keys, classifies and bounds its requests.
        public struct Configuration: Sendable {
            /// Which breaker a request goes through; ``RequestKey/origin`` by default.
            public var key: RequestKey
            /// Which responses count as failures; ``ResponseClassifier/default`` (5xx and 429) by default.
            public var classifier: ResponseClassifier
            /// The longest a 503's or 429's `Retry-After` holds a key's breaker open; five minutes by default. Zero or
            /// less ignores `Retry-After`. ``/CircuitBreaker/CircuitBreaker/holdOpen(for:)`` caps it at
            /// ``/CircuitBreaker/CircuitBreaker/maximumHoldOpen`` (a day) in any case.
            public var maximumRetryAfter: Duration
            /// The client's deadline for a request's whole exchange when
            /// ``CircuitBreakingHTTPClient/execute(_:timeout:logger:)`` is given none; 30 seconds by default.
            public var timeout: Duration

            /// Creates a configuration; every parameter has the documented default.
            public init(
                key: RequestKey = .origin,
                classifier: ResponseClassifier = .default,
                maximumRetryAfter: Duration = .seconds(300),
                timeout: Duration = .seconds(30)
            ) {
                self.key = key
                self.classifier = classifier
                self.maximumRetryAfter = maximumRetryAfter
                self.timeout = timeout
            }

            /// Keys by origin, 5xx and 429 are failures, `Retry-After` honoured up to five minutes, 30-second requests.
            public static let `default` = Configuration()
        }
    }
#endif
