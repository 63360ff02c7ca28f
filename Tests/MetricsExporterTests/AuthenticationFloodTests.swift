import Foundation
import Testing

@testable import MetricsExporter

/// A bcrypt hash made by htpasswd at `cost`.
func htpasswdHash(user: String, password: String, cost: Int) async throws -> String {
    let result = try await runProcess("/usr/bin/htpasswd", ["-nbB", "-C", String(cost), user, password])
    try #require(result.status == 0, "htpasswd failed: \(result.stderr)")
    let line = try #require(result.text.split(separator: "\n").first)
    return String(try #require(line.split(separator: ":", maxSplits: 1).last))
}

/// Wrong passwords cannot starve the server: bcrypt off the event threads, per-address limits, caches.
@Suite("Authentication under a flood of wrong passwords")
struct AuthenticationFloodTests {
    static let whoAmI: Route.Handler = { request in
        .text("\(request.user?.name ?? "-") \(request.user?.level.description ?? "-")\n")
    }
    static let routes: [Route] = [
        .get("/api/v1/admin", access: .admin, handler: whoAmI),
        .get("/scrape/status", access: .scrape, handler: whoAmI),
    ]

    @Test("Failed logins are limited per address: 429 with Retry-After past the burst, counted; time gives a token")
    func perAddressLimit() async throws {
        let hash = try await htpasswdHash(user: "operator", password: "right")
        var configuration = testConfiguration()
        configuration.basicAuth = .init(users: [:], adminUsers: ["operator": hash])
        let clock = ManualServerClock()
        try await withServer(configuration, clock: clock, routes: Self.routes) { server, base async throws -> Void in
            let url = base + "/api/v1/admin"
            let burst = FailedLoginLimiter().burst
            for attempt in 0..<burst {
                #expect(try await curlRequest(url, ["-u", "operator:wrong-\(attempt)"]).status == 401)
            }
            let throttled = try await curlRequest(url, ["-u", "operator:wrong-again"])
            #expect(throttled.status == 429)
            #expect(throttled.headers["retry-after"] == "1")
            #expect(CrossSiteGuardTests.code(throttled) == "too_many_failed_logins")
            // Even the right password waits for a token: the address is out of attempts, and it is not known good.
            #expect(try await curlRequest(url, ["-u", "operator:right"]).status == 429)
            // Another address is not affected; its check makes the credentials known good.
            let other = try await curlRequest(url, ["--interface", "127.0.0.2", "-u", "operator:right"])
            #expect(other.text == "operator admin\n")
            // Known-good credentials skip the limit: an attacker on the operator's address does not lock them out.
            #expect(try await curlRequest(url, ["-u", "operator:right"]).text == "operator admin\n")
            // One token back after a second; it is the address's only one: one more wrong password, and it is out.
            clock.advance(by: .seconds(1))
            #expect(try await curlRequest(url, ["-u", "operator:wrong-once-more"]).status == 401)
            #expect(try await curlRequest(url, ["-u", "operator:wrong-twice-more"]).status == 429)
            let metrics = try await curlRequest(base + "/metrics").text
            #expect(sampleValue("metrics_exporter_throttled_logins_total", in: metrics) == 3)
            #expect(sampleValue("metrics_exporter_failed_logins_total", in: metrics) == Double(burst + 1))
            #expect(server.bcryptChecksRun == UInt64(burst + 2))
        }
    }

    @Test("A repeated wrong password costs no second bcrypt check; an unknown user costs one")
    func negativeCache() async throws {
        let hash = try await htpasswdHash(user: "operator", password: "right")
        var configuration = testConfiguration()
        configuration.basicAuth = .init(users: [:], adminUsers: ["operator": hash])
        try await withServer(configuration, routes: Self.routes) { server, base async throws -> Void in
            let url = base + "/api/v1/admin"
            #expect(try await curlRequest(url, ["-u", "operator:wrong"]).status == 401)
            #expect(server.bcryptChecksRun == 1)
            #expect(try await curlRequest(url, ["-u", "operator:wrong"]).status == 401)
            #expect(try await curlRequest(url, ["-u", "operator:wrong"]).status == 401)
            #expect(server.bcryptChecksRun == 1)
            #expect(try await curlRequest(url, ["-u", "nobody:wrong"]).status == 401)
            #expect(server.bcryptChecksRun == 2)
            // A malformed header is refused without any check.
            #expect(try await curlRequest(url, ["-H", "Authorization: Basic !!!"]).status == 401)
            #expect(server.bcryptChecksRun == 2)
        }
    }

    @Test("Health checks and scrapes are answered while bcrypt checks wait for the pool")
    func healthNotQueued() async throws {
        // Cost 11: each check takes over a hundred milliseconds, so checks wait while the test looks.
        let hash = try await htpasswdHash(user: "operator", password: "right", cost: 11)
        var configuration = testConfiguration()
        configuration.basicAuth = .init(users: [:], adminUsers: ["operator": hash])
        try await withServer(configuration, routes: Self.routes) { server, base async throws -> Void in
            let url = base + "/api/v1/admin"
            try await withThrowingTaskGroup(of: Int.self) { group in
                // Sixteen checks from four addresses (each may queue four): about two seconds of bcrypt work at cost 11.
                for attempt in 0..<16 {
                    let source = "127.0.0.\(2 + attempt % 4)"
                    group.addTask {
                        try await curlRequest(url, ["--interface", source, "-u", "operator:wrong-\(attempt)"]).status
                    }
                }
                try #require(await eventually { server.authenticationsWaiting > 0 })
                // The pool is busy and has checks waiting; the event threads are not. Raw sockets, not curl, so
                // no process start is counted in the wait.
                let port = try port(of: server)
                let health = try RawClient(port: port)
                health.send("GET /-/healthy HTTP/1.1\r\nHost: x\r\n\r\n")
                let healthy = await health.read(occurrences: 1, of: "OK\n")
                let scrape = try RawClient(port: port)
                scrape.send("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
                let scraped = await scrape.read(occurrences: 1, of: "metrics_exporter_build_info{")
                let checksWhenAnswered = server.bcryptChecksRun
                #expect(String(decoding: healthy.bytes.prefix(12), as: UTF8.self) == "HTTP/1.1 200")
                #expect(String(decoding: scraped.bytes.prefix(12), as: UTF8.self) == "HTTP/1.1 200")
                #expect(checksWhenAnswered < 16, "health and a scrape waited for every bcrypt check")
                for try await status in group { #expect(status == 401) }
                #expect(server.bcryptChecksRun == 16)
            }
        }
    }

    @Test("Stopping the server answers the checks still waiting, and returns")
    func stopWhileWaiting() async throws {
        let hash = try await htpasswdHash(user: "operator", password: "right", cost: 11)
        var configuration = testConfiguration()
        configuration.basicAuth = .init(users: [:], adminUsers: ["operator": hash])
        let server = MetricsServer(
            configuration: configuration,
            logger: quietLogger,
            clock: ManualServerClock(),
            exposition: ExpositionSources(text: sampleExposition),
            routes: Self.routes
        )
        try server.start()
        let port = try port(of: server)
        // Sixteen checks from eight addresses (each address may queue four): about two seconds of bcrypt work at cost 11.
        let clients = try (0..<16).map { index in try RawClient(port: port, source: "127.0.0.\(2 + index % 8)") }
        for (index, client) in clients.enumerated() {
            let token = Data("operator:wrong-\(index)".utf8).base64EncodedString()
            client.send("GET /api/v1/admin HTTP/1.1\r\nHost: x\r\nAuthorization: Basic \(token)\r\n\r\n")
        }
        try #require(await eventually { server.authenticationsWaiting > 0 })
        await server.stop()
        #expect(!server.isRunning)
        for client in clients {
            let (reply, closed) = await client.readUntilClosed()
            let text = String(decoding: reply, as: UTF8.self)
            #expect(closed)
            #expect(text.isEmpty || text.hasPrefix("HTTP/1.1 401") || text.hasPrefix("HTTP/1.1 503"), "\(text)")
        }
    }

    @Test("Unknown users are checked against the highest cost of the route's user class")
    func dummyHashCost() async throws {
        let cheap = try await htpasswdHash(user: "prometheus", password: "pw", cost: 4)
        let dear = try await htpasswdHash(user: "operator", password: "pw", cost: 6)
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
        let hash = try await htpasswdHash(user: "operator", password: "pw")
        var configuration = testConfiguration()
        configuration.basicAuth = .init(users: [:], adminUsers: ["operator": hash])
        try await withServer(configuration, routes: Self.routes) { _, base async throws -> Void in
            let url = base + "/scrape/status"
            #expect(try await curlRequest(url).text == "- -\n")
            #expect(try await curlRequest(url, ["-u", "operator:pw"]).text == "operator admin\n")
            // Wrong credentials leave the request anonymous: the route is public.
            let wrong = try await curlRequest(url, ["-u", "operator:nope"])
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
        for index in 0..<3 { #expect(pool.submit(Self.pending(flood, "flood-\(index)"))) }
        #expect(!pool.submit(Self.pending(flood, "flood-3")), "over the address's share")
        #expect(pool.submit(Self.pending(operator_, "operator")))
        // The operator's check comes second, not after the flood's queue.
        #expect(pool.takeWaiting()?.job.user == "flood-0")
        #expect(pool.takeWaiting()?.job.user == "operator")
        #expect(pool.takeWaiting()?.job.user == "flood-1")
        #expect(pool.waitingCount == 1)
        pool.close()
        #expect(!pool.submit(Self.pending(operator_, "late")))
    }
}
