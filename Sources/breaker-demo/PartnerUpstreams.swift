#if AsyncHTTPClientSupport
    import HTTPTypes
    import Logging
    import MetricsExporter

    import Foundation

    /// The partners' upstreams over real HTTP: a second ``MetricsServer`` (the project's own exporter) on 127.0.0.1
    /// with one route, `GET /partners/{name}`, that answers as the partner's ``SimulatedDependency`` schedule says: after
    /// its latency, `200` with a short text, or `503` during an outage. Half of the partners in an outage (the
    /// odd-numbered ones: partner-01, partner-03, …) add `Retry-After: 120`, which the client caps
    /// (``DemoBreakers/partnerMaximumRetryAfter``), so both ways out of an outage are seen: a probe after the breaker's
    /// own wait, and a probe after the upstream's advice. A name that is no partner (a made-up key) is answered as a
    /// healthy partner would be.
    ///
    /// The handler waits out the latency on the exporter's worker thread (a route handler is synchronous), so the
    /// server gets ``workerThreads`` of them; the latencies are tens of milliseconds and the client keeps at most
    /// ``DemoBreakers/partnerConnections`` connections. That is also why an outage answers 503 after 50 ms rather
    /// than hanging: each libmicrohttpd worker thread serves many connections, so a handler that hung would hold up
    /// the healthy partners' requests on its thread too (tried: with 30-second hangs every key timed out and opened).
    struct PartnerUpstreams: Sendable {
        /// One partner as its upstream answers.
        struct Upstream: Sendable {
            let dependency: SimulatedDependency
            /// The `Retry-After` of its `503`s, in seconds, or `nil` for none.
            let retryAfter: Int?
        }

        /// The `Retry-After` the odd-numbered partners send with their `503`s, in seconds: longer than the client's
        /// cap, so the cap is what holds the breaker open.
        static let retryAfterSeconds = 120
        /// libmicrohttpd worker threads: enough for the client's connections to be served while some wait out a
        /// latency.
        static let workerThreads = 8

        /// The running server.
        let server: MetricsServer
        /// `http://127.0.0.1:PORT/partners/`, to which a key is appended.
        let baseURL: String

        /// Starts the server on 127.0.0.1 at `port` (0: a free one) for `partners`.
        static func start(
            partners: [SimulatedDependency],
            port: UInt16,
            logger: Logger
        ) throws(MetricsServerError) -> PartnerUpstreams {
            var upstreams: [String: Upstream] = [:]
            for (index, partner) in partners.enumerated() {
                let outages: Bool
                if case .outages = partner.behaviour { outages = true } else { outages = false }
                upstreams[partner.name] = Upstream(
                    dependency: partner,
                    retryAfter: outages && index % 2 == 0 ? retryAfterSeconds : nil
                )
            }
            let table = upstreams
            var configuration = MetricsServerConfiguration.loopback(port: port)
            configuration.serviceName = "breaker-demo partners"
            configuration.workerThreads = workerThreads
            // Answers take tens of milliseconds: a second is plenty to let them finish on shutdown.
            configuration.shutdownGracePeriod = .seconds(1)
            let route = PortableRoute.get("/partners/{name}", access: .public) { request in
                let name = request.pathParameters["name"] ?? ""
                let upstream = table[name]
                let answer = upstream?.dependency.nextAnswer() ?? SimulatedDependency.healthyAnswer()
                Thread.sleep(forTimeInterval: answer.latency.seconds)
                guard answer.fails else { return .text("\(name): ok\n") }
                var response = RouteResponse.text("\(name) is unavailable\n", status: .serviceUnavailable)
                if let retryAfter = upstream?.retryAfter { response.headerFields[.retryAfter] = String(retryAfter) }
                return response
            }
            let server = MetricsServer(
                configuration: configuration,
                logger: logger,
                exposition: ExpositionSources(text: { _ in }),
                routes: [route]
            )
            try server.start()
            let bound = server.boundAddress.map { $0.description } ?? "127.0.0.1:\(port)"
            return PartnerUpstreams(server: server, baseURL: "http://\(bound)/partners/")
        }
    }
#endif
