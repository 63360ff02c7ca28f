import CircuitBreakerInternals
import Foundation
import Testing
import MetricsEndpoint

@testable import MetricsExporter
import PortableRoutes

/// Wrong passwords cannot starve the server: bcrypt off the event threads, per-address limits, caches.
@Suite("Authentication under a flood of wrong passwords")
struct AuthenticationFloodTests {
    static let whoAmI: PortableRoute.Handler = { request in
        .text("\(request.user?.name ?? "-") \(request.user?.level.description ?? "-")\n")
    }
    static let routes: [PortableRoute] = [
        .get("/api/v1/admin", access: .admin, handler: whoAmI),
        .get("/scrape/status", access: .scrape, handler: whoAmI),
    ]

    @Test("Failed logins are limited per address: 429 with Retry-After past the burst, counted; time gives a token")
    func perAddressLimit() async throws {
        let hash = try bcryptHash(user: "operator", password: "right")
        var configuration = testConfiguration()
        configuration.basicAuth = .init(users: [:], adminUsers: ["operator": hash])
        let clock = ManualServerClock()
        try await withServer(configuration, clock: clock, routes: Self.routes) { server, base async throws -> Void in
            let url = base + "/api/v1/admin"
            let burst = FailedLoginLimiter().burst
            for attempt in 0..<burst {
                #expect(try await httpRequest(url, ["-u", "operator:wrong-\(attempt)"]).status == 401)
            }
            let throttled = try await httpRequest(url, ["-u", "operator:wrong-again"])
            #expect(throttled.status == 429)
            #expect(throttled.headers["retry-after"] == "1")
            #expect(CrossSiteGuardTests.code(throttled) == "too_many_failed_logins")
            // Even the right password waits for a token: the address is out of attempts, and it is not known good.
            #expect(try await httpRequest(url, ["-u", "operator:right"]).status == 429)
            // Another address is not affected; its check makes the credentials known good.
            let other = try await httpRequest(url, ["--interface", "127.0.0.2", "-u", "operator:right"])
            #expect(other.text == "operator admin\n")
            // Known-good credentials skip the limit: an attacker on the operator's address does not lock them out.
            #expect(try await httpRequest(url, ["-u", "operator:right"]).text == "operator admin\n")
            // One token back after a second; it is the address's only one: one more wrong password, and it is out.
            clock.advance(by: .seconds(1))
            #expect(try await httpRequest(url, ["-u", "operator:wrong-once-more"]).status == 401)
            #expect(try await httpRequest(url, ["-u", "operator:wrong-twice-more"]).status == 429)
            let metrics = try await httpRequest(base + "/metrics").text
            #expect(sampleValue("metrics_exporter_throttled_logins_total", in: metrics) == 3)
            #expect(sampleValue("metrics_exporter_failed_logins_total", in: metrics) == Double(burst + 1))
            #expect(server.bcryptChecksRun == UInt64(burst + 2))
        }
    }

    @Test("A repeated wrong password costs no second bcrypt check; an unknown user costs one")
    func negativeCache() async throws {
        let hash = try bcryptHash(user: "operator", password: "right")
        var configuration = testConfiguration()
        configuration.basicAuth = .init(users: [:], adminUsers: ["operator": hash])
        try await withServer(configuration, routes: Self.routes) { server, base async throws -> Void in
            let url = base + "/api/v1/admin"
            #expect(try await httpRequest(url, ["-u", "operator:wrong"]).status == 401)
            #expect(server.bcryptChecksRun == 1)
            #expect(try await httpRequest(url, ["-u", "operator:wrong"]).status == 401)
            #expect(try await httpRequest(url, ["-u", "operator:wrong"]).status == 401)
            #expect(server.bcryptChecksRun == 1)
            #expect(try await httpRequest(url, ["-u", "nobody:wrong"]).status == 401)
            #expect(server.bcryptChecksRun == 2)
            // A malformed header is refused without any check.
            #expect(try await httpRequest(url, ["-H", "Authorization: Basic !!!"]).status == 401)
            #expect(server.bcryptChecksRun == 2)
        }
    }

    @Test("Health checks and scrapes are answered while bcrypt checks are held in the pool")
    func healthNotQueued() async throws {
        let hash = try bcryptHash(user: "operator", password: "right")
        var configuration = testConfiguration()
        configuration.basicAuth = .init(users: [:], adminUsers: ["operator": hash])
        let server = MetricsServer(
            configuration: configuration,
            logger: quietLogger,
            clock: ManualServerClock(),
            exposition: ExpositionSources(text: sampleExposition),
            routes: Self.routes
        )
        // Each check waits at the gate: the pool's two threads hold one each, the others queue behind them.
        let gate = Gate()
        server.interposeAuthentications { gate.wait() }
        try server.start()
        let port = try port(of: server)
        var floods: [RawClient] = []
        for index in 0..<8 {
            let client = try RawClient(port: port, source: "127.0.0.\(2 + index % 4)")
            let token = Data("operator:wrong-\(index)".utf8).base64EncodedString()
            client.send("GET /api/v1/admin HTTP/1.1\r\nHost: x\r\nAuthorization: Basic \(token)\r\n\r\n")
            floods.append(client)
        }
        try #require(await eventually { server.authenticationsWaiting == 6 })
        // No check has run, and the event threads answer as if nothing happened.
        let health = try RawClient(port: port)
        health.send("GET /-/healthy HTTP/1.1\r\nHost: x\r\n\r\n")
        let healthy = await health.read(occurrences: 1, of: "OK\n")
        let scrape = try RawClient(port: port)
        scrape.send("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        let scraped = await scrape.read(occurrences: 1, of: "metrics_exporter_build_info{")
        #expect(String(decoding: healthy.bytes.prefix(12), as: UTF8.self) == "HTTP/1.1 200")
        #expect(String(decoding: scraped.bytes.prefix(12), as: UTF8.self) == "HTTP/1.1 200")
        #expect(server.bcryptChecksRun == 0)
        gate.open()
        for client in floods {
            let (reply, _) = await client.read(occurrences: 1, of: "\r\n\r\n")
            #expect(String(decoding: reply.prefix(12), as: UTF8.self) == "HTTP/1.1 401")
        }
        #expect(server.bcryptChecksRun == 8)
        await server.stop()
    }

    @Test("Stopping the server answers the checks still waiting, and returns")
    func stopWhileWaiting() async throws {
        let hash = try bcryptHash(user: "operator", password: "right")
        var configuration = testConfiguration()
        configuration.basicAuth = .init(users: [:], adminUsers: ["operator": hash])
        let server = MetricsServer(
            configuration: configuration,
            logger: quietLogger,
            clock: ManualServerClock(),
            exposition: ExpositionSources(text: sampleExposition),
            routes: Self.routes
        )
        let gate = Gate()
        server.interposeAuthentications { gate.wait() }
        try server.start()
        let port = try port(of: server)
        let clients = try (0..<8).map { index in try RawClient(port: port, source: "127.0.0.\(2 + index % 4)") }
        for (index, client) in clients.enumerated() {
            let token = Data("operator:wrong-\(index)".utf8).base64EncodedString()
            client.send("GET /api/v1/admin HTTP/1.1\r\nHost: x\r\nAuthorization: Basic \(token)\r\n\r\n")
        }
        try #require(await eventually { server.authenticationsWaiting == 6 })
        // Stopping answers the six waiting checks at once (503), while the two held ones still wait; they finish
        // when the gate opens (401), within the grace period.
        async let stopped: Void = server.stop()
        let replies = Locked<[String]>([])
        await withTaskGroup(of: Void.self) { group in
            for client in clients {
                group.addTask {
                    let (reply, closed) = await client.readUntilClosed()
                    let status = closed ? String(decoding: reply.prefix(12), as: UTF8.self) : "open"
                    replies.withLock { $0.append(status) }
                }
            }
            let sixAnswered = await eventually { replies.withLock { $0.count } == 6 }
            #expect(sixAnswered)
            gate.open()
        }
        await stopped
        #expect(!server.isRunning)
        var answers: [String: Int] = [:]
        for status in replies.withLock({ $0 }) { answers[status, default: 0] += 1 }
        #expect(answers == ["HTTP/1.1 503": 6, "HTTP/1.1 401": 2])
    }

    @Test("Unknown users are checked against the highest cost of the route's user class")
    func dummyHashCost() async throws {
        let cheap = try bcryptHash(user: "prometheus", password: "pw", cost: 4)
        let dear = try bcryptHash(user: "operator", password: "pw", cost: 6)
        let authenticator = Authenticator(configuration: .init(users: ["prometheus": cheap], adminUsers: ["operator": dear]))
        #expect(bcryptCost(authenticator.dummyHash(for: .admin)) == 6)
        #expect(bcryptCost(authenticator.dummyHash(for: .scrape)) == 6)
        let scrapeDear = Authenticator(configuration: .init(users: ["prometheus": dear], adminUsers: ["operator": cheap]))
        #expect(bcryptCost(scrapeDear.dummyHash(for: .admin)) == 4)
        #expect(bcryptCost(scrapeDear.dummyHash(for: .scrape)) == 6)
        #expect(isBcryptHash(authenticator.dummyHash(for: .admin)))
    }

    @Test("A bcrypt cost above 14 is refused at load, naming the line")
    func costCap() throws {
        let dear = "$2y$15$" + String(repeating: "a", count: 53)
        let text = "basic_auth_users:\n  prometheus: \(dear)\n"
        let error = #expect(throws: MetricsServerError.self) { try WebConfiguration(parsing: text) }
        #expect(error?.code == .invalidConfiguration)
        #expect(error?.yamlLine == 2)
        #expect(error?.key == "basic_auth_users.prometheus")
        #expect(error?.message.contains("at most 14") == true)
        var configuration = testConfiguration()
        configuration.basicAuth = .init(users: [:], adminUsers: ["operator": dear])
        #expect(throws: MetricsServerError.self) { try configuration.validate() }
        configuration.basicAuth = .init(users: [:], adminUsers: ["operator": "$2y$14$" + String(repeating: "a", count: 53)])
        try configuration.validate()
    }

    @Test("Without scrape users, an admin's credentials on a public scrape route still name the admin")
    func adminOnPublicRoute() async throws {
        let hash = try bcryptHash(user: "operator", password: "pw")
        var configuration = testConfiguration()
        configuration.basicAuth = .init(users: [:], adminUsers: ["operator": hash])
        try await withServer(configuration, routes: Self.routes) { _, base async throws -> Void in
            let url = base + "/scrape/status"
            #expect(try await httpRequest(url).text == "- -\n")
            #expect(try await httpRequest(url, ["-u", "operator:pw"]).text == "operator admin\n")
            // Wrong credentials leave the request anonymous: the route is public.
            let wrong = try await httpRequest(url, ["-u", "operator:nope"])
            #expect(wrong.status == 200)
            #expect(wrong.text == "- -\n")
        }
    }
}

@Suite("Authentication pool")
struct AuthenticationPoolTests {
    static func pending(_ peer: PeerAddress, _ user: String) -> PendingAuthentication {
        let digest = Authenticator.Digest(words: (0, 0, 0, 0))
        let job = Authenticator.Job(user: user, password: [], hash: "", level: nil, digest: digest, peer: peer)
        return PendingAuthentication(job: job, deadline: .max)
    }

    @Test("Checks are taken one address at a time, and one address may queue only its share")
    func fairAndBounded() {
        let authenticator = Authenticator(configuration: .init(users: ["a": "$2y$04$" + String(repeating: "a", count: 53)]))
        let pool = AuthenticationPool(authenticator: authenticator, clock: ManualServerClock(), capacity: 6, perAddress: 3)
        let flood = PeerAddress(high: 0, low: 2)
        let operator_ = PeerAddress(high: 0, low: 1)
        for index in 0..<3 { #expect(pool.submit(Self.pending(flood, "flood-\(index)")) == .queued) }
        #expect(pool.submit(Self.pending(flood, "flood-3")) == .addressFull, "over the address's share")
        #expect(pool.submit(Self.pending(operator_, "operator")) == .queued)
        // The operator's check comes second, not after the flood's queue.
        #expect(pool.takeWaiting()?.job.user == "flood-0")
        #expect(pool.takeWaiting()?.job.user == "operator")
        #expect(pool.takeWaiting()?.job.user == "flood-1")
        #expect(pool.waitingCount == 1)
        pool.close()
        #expect(pool.submit(Self.pending(operator_, "late")) == .unavailable)
    }
}
