#if AsyncHTTPClientSupport
    import AsyncHTTPClient
    import CircuitBreaker
    import CircuitBreakerAsyncHTTPClient
    import Logging
    import NIOCore

    /// The partners over real HTTP: each call is a `GET` to the partner's route on ``PartnerUpstreams``, sent by
    /// AsyncHTTPClient through ``CircuitBreakingHTTPClient``, keyed by the last path segment so that every partner
    /// keeps its own breaker and its `key="partner-07"` series although all share one origin.
    struct HTTPPartners: PartnerTransport {
        /// A request whose URL has no path segment to key by (the demo never makes one).
        struct NoKeyInURL: Error, CustomStringConvertible {
            let url: String
            var description: String { "no partner name at the end of \(url)" }
        }

        let upstreams: PartnerUpstreams
        let client: CircuitBreakingHTTPClient
        let logger: Logger

        var destination: String { upstreams.baseURL + "{name}" }

        /// The key of a request: the last segment of its path (`partner-07` of `…/partners/partner-07`).
        static let keyByPartner = RequestKey { request in
            guard let slash = request.url.lastIndex(of: "/"), request.url.index(after: slash) < request.url.endIndex
            else { throw NoKeyInURL(url: request.url) }
            return String(request.url[request.url.index(after: slash)...])
        }

        /// Starts the upstreams and a client for them; the client is shut down by ``shutdown()``.
        static func start(
            group: BreakerGroup,
            partners: [SimulatedDependency],
            port: UInt16,
            logger: Logger
        ) throws -> HTTPPartners {
            let upstreams = try PartnerUpstreams.start(partners: partners, port: port, logger: logger)
            var configuration = HTTPClient.Configuration()
            configuration.timeout = HTTPClient.Configuration.Timeout(connect: .seconds(1))
            // Idle connections go before the upstream's own 10 s idle timeout closes them under the client.
            configuration.connectionPool = HTTPClient.Configuration.ConnectionPool(
                idleTimeout: .seconds(5),
                concurrentHTTP1ConnectionsPerHostSoftLimit: DemoBreakers.partnerConnections
            )
            let http = HTTPClient(
                eventLoopGroup: HTTPClient.defaultEventLoopGroup,
                configuration: configuration,
                backgroundActivityLogger: logger
            )
            return HTTPPartners(
                upstreams: upstreams,
                client: CircuitBreakingHTTPClient(
                    client: http,
                    group: group,
                    configuration: .init(
                        key: keyByPartner,
                        maximumRetryAfter: DemoBreakers.partnerMaximumRetryAfter,
                        timeout: DemoBreakers.partnerRequestTimeout
                    )
                ),
                logger: logger
            )
        }

        func call(_ key: String) async {
            do {
                let response = try await client.execute(HTTPClientRequest(url: upstreams.baseURL + key))
                // Read the short body, so the connection goes back to the pool rather than being closed.
                _ = try await response.body.collect(upTo: 4_096)
            } catch {
                // Rejections, timeouts and connection errors: recorded by the key's breaker (or, for a body cut
                // short, not the breaker's concern).
            }
        }

        func shutdown() async {
            do {
                try await client.client.shutdown()
            } catch {
                logger.error("the partners' HTTP client did not shut down cleanly", metadata: ["error": "\(error)"])
            }
            await upstreams.server.stop()
        }
    }
#endif
