#if AsyncHTTPClientSupport
    import AsyncHTTPClient
    import CircuitBreaker
    import CircuitBreakerAsyncHTTPClient
    import CircuitBreakerTestKit
    import NIOCore
    import NIOHTTP1
    import Testing

    /// The wrapper against real HTTP servers on loopback: keys, rejections, classification.
    @Suite struct CircuitBreakingHTTPClientTests {
        @Test func oneFailingHostOpensOnlyItsOwnBreaker() async throws {
            try await withUpstreams(2) { upstreams, client in
                let (failing, healthy) = (upstreams[0], upstreams[1])
                failing.replyToAll(.respond(.internalServerError, body: "boom"))
                let clock = ManualClock()
                let group = try partnersGroup(clock: clock, threshold: 2)
                let partners = CircuitBreakingHTTPClient(client: client, group: group)

                for _ in 0..<2 {
                    let failed = try await partners.get(failing.baseURL + "/quote")
                    #expect(failed.status == .internalServerError)
                }
                #expect(state(of: failing.originKey, in: group) == .open)
                await #expect(throws: RequestRejectedError.self) {
                    try await partners.get(failing.baseURL + "/quote")
                }
                #expect(failing.totalRequests == 2)

                for _ in 0..<5 {
                    let answered = try await partners.get(healthy.baseURL + "/quote")
                    #expect(answered.status == .ok)
                }
                #expect(healthy.totalRequests == 5)
                #expect(state(of: healthy.originKey, in: group) == .closed)
                #expect(group.keys == [failing.originKey, healthy.originKey].sorted())
            }
        }

        @Test func rejectionsAreTypedAndNeverReachTheServer() async throws {
            try await withUpstreams { upstreams, client in
                let upstream = upstreams[0]
                upstream.replyToAll(.respond(.badGateway))
                let clock = ManualClock()
                let group = try partnersGroup(clock: clock)
                let partners = CircuitBreakingHTTPClient(client: client, group: group)

                _ = try await partners.get(upstream.baseURL + "/a")
                #expect(upstream.totalRequests == 1)
                clock.advance(by: .seconds(4))
                for _ in 0..<5 {
                    let rejected = await #expect(throws: RequestRejectedError.self) {
                        try await partners.get(upstream.baseURL + "/a")
                    }
                    #expect(rejected?.key == upstream.originKey)
                    #expect(rejected?.state == .open)
                    #expect(rejected?.retryAfter == .seconds(6))
                    #expect(rejected?.rejection.breakerName == "partners")
                }
                #expect(upstream.totalRequests == 1)

                // An operator's forced open is a state of its own, with no retry delay.
                try group.breaker(for: upstream.originKey).forceOpen()
                let forced = await #expect(throws: RequestRejectedError.self) {
                    try await partners.get(upstream.baseURL + "/b")
                }
                #expect(forced?.state == .forcedOpen)
                #expect(forced?.retryAfter == nil)
                #expect(upstream.totalRequests == 1)
            }
        }

        @Test func aHalfOpenKeyProbesOnceAndClosesOnSuccess() async throws {
            try await withUpstreams { upstreams, client in
                let upstream = upstreams[0]
                upstream.replyToAll(.respond(.serviceUnavailable))
                let clock = ManualClock()
                let group = try partnersGroup(clock: clock)
                let partners = CircuitBreakingHTTPClient(client: client, group: group)

                _ = try await partners.get(upstream.baseURL + "/")
                #expect(state(of: upstream.originKey, in: group) == .open)
                upstream.replyToAll(.respond(.ok))
                clock.advance(by: .seconds(10))
                #expect(try await partners.get(upstream.baseURL + "/").status == .ok)
                #expect(state(of: upstream.originKey, in: group) == .closed)
                #expect(upstream.totalRequests == 2)
            }
        }

        @Test(arguments: [400, 401, 403, 404, 405, 409, 410, 413, 418, 422, 451, 200, 201, 204, 302, 304])
        func statusesBelow500ButTooManyRequestsAreSuccesses(code: Int) async throws {
            try await withUpstreams { upstreams, client in
                let upstream = upstreams[0]
                upstream.replyToAll(.respond(HTTPResponseStatus(statusCode: code)))
                let monitor = CountingMonitor()
                let group = try partnersGroup(clock: ManualClock(), monitors: [monitor])
                let partners = CircuitBreakingHTTPClient(
                    client: client,
                    group: group,
                    configuration: .init(classifier: .default)
                )
                for _ in 0..<3 {
                    #expect(try await partners.get(upstream.baseURL + "/").status.code == UInt(code))
                }
                #expect(state(of: upstream.originKey, in: group) == .closed)
                #expect(monitor.counts.successes == 3)
                #expect(monitor.counts.failures == 0)
                #expect(upstream.totalRequests == 3)
            }
        }

        @Test(arguments: [429, 500, 501, 502, 503, 504, 599])
        func status5xxAndTooManyRequestsAreFailures(code: Int) async throws {
            try await withUpstreams { upstreams, client in
                let upstream = upstreams[0]
                upstream.replyToAll(.respond(HTTPResponseStatus(statusCode: code)))
                let monitor = CountingMonitor()
                let group = try partnersGroup(clock: ManualClock(), monitors: [monitor])
                let partners = CircuitBreakingHTTPClient(client: client, group: group)
                #expect(try await partners.get(upstream.baseURL + "/").status.code == UInt(code))
                #expect(state(of: upstream.originKey, in: group) == .open)
                #expect(monitor.counts.failures == 1)
            }
        }

        @Test func aFailedResponseIsHandedToTheCallerWithItsBody() async throws {
            try await withUpstreams { upstreams, client in
                let upstream = upstreams[0]
                upstream.replyToAll(.respond(.serviceUnavailable, body: "down for maintenance"))
                let group = try partnersGroup(clock: ManualClock())
                let partners = CircuitBreakingHTTPClient(client: client, group: group)
                let failed = try await partners.get(upstream.baseURL + "/")
                #expect(failed.status == .serviceUnavailable)
                #expect(failed.body == "down for maintenance")
                #expect(state(of: upstream.originKey, in: group) == .open)
            }
        }

        @Test func failedResponsesDroppedUnreadDoNotHoldConnections() async throws {
            // One connection per host at a time: a body left unread that held its connection would wedge the rest.
            var configuration = HTTPClient.Configuration()
            configuration.connectionPool = .init(
                idleTimeout: .seconds(60),
                concurrentHTTP1ConnectionsPerHostSoftLimit: 1
            )
            try await withUpstreams(clientConfiguration: configuration) { upstreams, client in
                let upstream = upstreams[0]
                let large = String(repeating: "x", count: 4 << 20)  // more than the sockets' buffers hold
                upstream.reply(.respond(.serviceUnavailable, body: large), to: "/large")
                let group = try partnersGroup(clock: ManualClock(), threshold: 100)
                let partners = CircuitBreakingHTTPClient(client: client, group: group)
                for _ in 0..<5 {
                    let response = try await partners.execute(HTTPClientRequest(url: upstream.baseURL + "/large"))
                    #expect(response.status == .serviceUnavailable)  // dropped here, body unread
                }
                // The timeout guards against a hang; a wedged pool would fail with deadlineExceeded.
                #expect(try await partners.get(upstream.baseURL + "/small", timeout: .seconds(30)).status == .ok)
                #expect(upstream.requests(to: "/large") == 5)
                #expect(state(of: upstream.originKey, in: group) == .closed)
            }
        }

        @Test func aRefusedConnectionIsAFailure() async throws {
            // A short connect timeout: the client retries a refused connection until then.
            var configuration = HTTPClient.Configuration()
            configuration.timeout.connect = .milliseconds(200)
            try await withUpstreams(clientConfiguration: configuration) { _, client in
                let gone = try await LoopbackUpstream.start()
                let url = gone.baseURL + "/"
                try await gone.stop()  // nothing listens on its port any more
                let monitor = CountingMonitor()
                let group = try partnersGroup(clock: ManualClock(), monitors: [monitor])
                let partners = CircuitBreakingHTTPClient(client: client, group: group)
                await #expect(throws: (any Error).self) { try await partners.get(url) }
                #expect(monitor.counts.failures == 1)
                #expect(state(of: gone.originKey, in: group) == .open)
                let rejected = await #expect(throws: RequestRejectedError.self) { try await partners.get(url) }
                #expect(rejected?.key == gone.originKey)
            }
        }

        @Test func theClassifierKnobDecidesWhichResponsesFail() async throws {
            try await withUpstreams { upstreams, client in
                let upstream = upstreams[0]
                upstream.reply(.respond(.notFound), to: "/missing")
                upstream.reply(.respond(.internalServerError), to: "/bug")
                let group = try partnersGroup(clock: ManualClock())
                // A 404 is a failure (the partner lost its data), a 500 is not (one handler's bug).
                let partners = CircuitBreakingHTTPClient(
                    client: client,
                    group: group,
                    configuration: .init(classifier: ResponseClassifier { status, _ in status == .notFound })
                )
                for _ in 0..<3 {
                    #expect(try await partners.get(upstream.baseURL + "/bug").status == .internalServerError)
                }
                #expect(state(of: upstream.originKey, in: group) == .closed)
                #expect(try await partners.get(upstream.baseURL + "/missing").status == .notFound)
                #expect(state(of: upstream.originKey, in: group) == .open)
            }
        }

        @Test func theClassifierSeesTheHeaders() async throws {
            try await withUpstreams { upstreams, client in
                let upstream = upstreams[0]
                upstream.reply(.respond(.ok, headers: ["x-degraded": "1"]), to: "/degraded")
                let group = try partnersGroup(clock: ManualClock())
                let partners = CircuitBreakingHTTPClient(
                    client: client,
                    group: group,
                    configuration: .init(
                        classifier: ResponseClassifier { _, headers in headers.contains(name: "x-degraded") }
                    )
                )
                #expect(try await partners.get(upstream.baseURL + "/fine").status == .ok)
                #expect(state(of: upstream.originKey, in: group) == .closed)
                #expect(try await partners.get(upstream.baseURL + "/degraded").status == .ok)
                #expect(state(of: upstream.originKey, in: group) == .open)
            }
        }

        @Test func theKeyKnobKeysByEndpoint() async throws {
            try await withUpstreams { upstreams, client in
                let upstream = upstreams[0]
                upstream.reply(.respond(.internalServerError), to: "/search")
                let group = try partnersGroup(clock: ManualClock())
                let byEndpoint = RequestKey { request in
                    let path = request.url.split(separator: "/", maxSplits: 3, omittingEmptySubsequences: false)
                    return "endpoint /" + (path.count > 3 ? String(path[3].prefix { $0 != "?" }) : "")
                }
                let partners = CircuitBreakingHTTPClient(
                    client: client,
                    group: group,
                    configuration: .init(key: byEndpoint)
                )
                _ = try await partners.get(upstream.baseURL + "/search?q=1")
                let rejected = await #expect(throws: RequestRejectedError.self) {
                    try await partners.get(upstream.baseURL + "/search?q=2")
                }
                #expect(rejected?.key == "endpoint /search")
                // The same host, another endpoint: its own closed breaker.
                #expect(try await partners.get(upstream.baseURL + "/orders").status == .ok)
                #expect(group.keys == ["endpoint /orders", "endpoint /search"])
                #expect(upstream.requests(to: "/search") == 1)
                #expect(upstream.requests(to: "/orders") == 1)
            }
        }

        @Test func theKeyKnobKeysByTenantHeader() async throws {
            try await withUpstreams { upstreams, client in
                let upstream = upstreams[0]
                upstream.replyToAll(.respond(.serviceUnavailable))
                let group = try partnersGroup(clock: ManualClock())
                let byTenant = RequestKey { $0.headers.first(name: "x-tenant") ?? "anonymous" }
                let partners = CircuitBreakingHTTPClient(
                    client: client,
                    group: group,
                    configuration: .init(key: byTenant)
                )
                var request = HTTPClientRequest(url: upstream.baseURL + "/")
                request.headers.add(name: "x-tenant", value: "acme")
                _ = try await partners.execute(request).body.collect(upTo: 1024)
                let rejected = await #expect(throws: RequestRejectedError.self) { try await partners.execute(request) }
                #expect(rejected?.key == "acme")
                #expect(state(of: "anonymous", in: group) == nil)
                _ = try await partners.get(upstream.baseURL + "/")
                #expect(state(of: "anonymous", in: group) == .open)
                #expect(upstream.totalRequests == 2)
            }
        }

        @Test func aKeyTheGroupRefusesSendsNothing() async throws {
            try await withUpstreams { upstreams, client in
                let upstream = upstreams[0]
                let group = try partnersGroup(
                    clock: ManualClock(),
                    configuration: .init(maximumKeys: 1, overflow: .reject)
                )
                let byPath = RequestKey { $0.url }
                let partners = CircuitBreakingHTTPClient(
                    client: client,
                    group: group,
                    configuration: .init(key: byPath)
                )
                upstream.reply(.respond(.internalServerError), to: "/first")
                _ = try await partners.get(upstream.baseURL + "/first")  // fails: its key is not idle, so not evicted
                let overflow = await #expect(throws: BreakerGroupError.self) {
                    try await partners.get(upstream.baseURL + "/second")
                }
                #expect(overflow?.code == .overflow)
                let empty = CircuitBreakingHTTPClient(
                    client: client,
                    group: group,
                    configuration: .init(key: .init { _ in "" })
                )
                let refused = await #expect(throws: BreakerGroupError.self) {
                    try await empty.get(upstream.baseURL + "/")
                }
                #expect(refused?.code == .emptyKey)
                #expect(upstream.totalRequests == 1)
            }
        }

        @Test func aMalformedURLThrowsTheClientsErrorAndTouchesNoBreaker() async throws {
            try await withUpstreams { _, client in
                let group = try partnersGroup(clock: ManualClock())
                let partners = CircuitBreakingHTTPClient(client: client, group: group)
                await #expect(throws: HTTPClientError.unsupportedScheme("ftp")) {
                    try await partners.get("ftp://127.0.0.1/")
                }
                await #expect(throws: HTTPClientError.emptyHost) { try await partners.get("http:///path") }
                #expect(group.count == 0)
            }
        }
    }
#endif
