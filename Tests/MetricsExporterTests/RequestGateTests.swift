import Foundation
import MetricsExporter
import PortableRoutes
import Testing
import MetricsEndpoint

/// Access levels through the one gate: public, scrape users, admin users.
@Suite("Request gate")
struct RequestGateTests {
    /// Answers with the user the handler saw.
    static let whoAmI: PortableRoute.Handler = { request in
        .text("\(request.user?.name ?? "-") \(request.user?.level.description ?? "-")\n")
    }

    static let routes: [PortableRoute] = [
        .post("/admin/action", access: .admin, handler: whoAmI),
        .get("/admin/status", access: .admin, handler: whoAmI),
        .get("/scrape/status", access: .scrape, handler: whoAmI),
        .get("/open", access: .public, handler: whoAmI),
    ]

    @Test("Admin routes: 401 without or with wrong credentials, 403 for a scrape user, open to admins")
    func levels() async throws {
        let scrapeHash = try bcryptHash(user: "prometheus", password: "scrape-pw")
        let adminHash = try bcryptHash(user: "operator", password: "admin-pw")
        var configuration = testConfiguration()
        configuration.basicAuth = .init(users: ["prometheus": scrapeHash], adminUsers: ["operator": adminHash])
        try await withServer(configuration, routes: Self.routes) { _, base in
            let admin = ["-u", "operator:admin-pw"]
            let scraper = ["-u", "prometheus:scrape-pw"]
            let anonymous = try await httpRequest(base + "/admin/status")
            #expect(anonymous.status == 401)
            #expect(anonymous.headers["www-authenticate"]?.hasPrefix("Basic realm=") == true)
            #expect(try await httpRequest(base + "/admin/status", ["-u", "operator:wrong"]).status == 401)
            let forbidden = try await httpRequest(base + "/admin/status", scraper + ["-H", "Accept: application/json"])
            #expect(forbidden.status == 403)
            #expect(forbidden.text == #"{"error":{"code":"forbidden","message":"Forbidden"}}"#)
            #expect(try await httpRequest(base + "/admin/status", admin).text == "operator admin\n")
            let json = ["-H", "Content-Type: application/json"]
            #expect(try await httpRequest(base + "/admin/action", admin + json + ["-X", "POST"]).text == "operator admin\n")
            // An admin may do what a scrape user may.
            #expect(try await httpRequest(base + "/scrape/status", admin).text == "operator admin\n")
            #expect(try await httpRequest(base + "/scrape/status", scraper).text == "prometheus scrape\n")
            #expect(try await httpRequest(base + "/metrics", admin).status == 200)
            #expect(try await httpRequest(base + "/scrape/status").status == 401)
            // Public routes need nothing, and health checks always get through.
            #expect(try await httpRequest(base + "/open").text == "- -\n")
            #expect(try await httpRequest(base + "/-/healthy").status == 200)
            #expect(try await httpRequest(base + "/healthz").status == 200)
            // Credentials come before the method: no method list for an anonymous client.
            #expect(try await httpRequest(base + "/admin/action").status == 401)
            #expect(try await httpRequest(base + "/admin/action", admin).status == 405)
        }
    }

    @Test("Without admin users, admin routes refuse everyone; without scrape users, scrape routes are public")
    func missingUsers() async throws {
        let scrapeHash = try bcryptHash(user: "prometheus", password: "pw")
        try await withServer(routes: Self.routes) { _, base async throws -> Void in
            #expect(try await httpRequest(base + "/admin/status").status == 401)
            #expect(try await httpRequest(base + "/scrape/status").text == "- -\n")
        }
        var scrapeOnly = testConfiguration()
        scrapeOnly.basicAuth = .init(users: ["prometheus": scrapeHash])
        try await withServer(scrapeOnly, routes: Self.routes) { _, base async throws -> Void in
            #expect(try await httpRequest(base + "/admin/status").status == 401)
            #expect(try await httpRequest(base + "/admin/status", ["-u", "prometheus:pw"]).status == 403)
        }
        let adminHash = try bcryptHash(user: "operator", password: "pw")
        var adminOnly = testConfiguration()
        adminOnly.basicAuth = .init(users: [:], adminUsers: ["operator": adminHash])
        try await withServer(adminOnly, routes: Self.routes) { _, base async throws -> Void in
            #expect(try await httpRequest(base + "/metrics").status == 200)
            #expect(try await httpRequest(base + "/admin/status", ["-u", "operator:pw"]).status == 200)
        }
    }

    @Test("A name in both user lists, and an empty configuration, are refused")
    func invalidUsers() {
        let hash = "$2y$04$" + String(repeating: "a", count: 53)
        for auth in [
            MetricsServerConfiguration.BasicAuth(users: ["a": hash], adminUsers: ["a": hash]),
            MetricsServerConfiguration.BasicAuth(users: [:], adminUsers: [:]),
            MetricsServerConfiguration.BasicAuth(users: [:], adminUsers: ["a:b": hash]),
        ] {
            var configuration = testConfiguration()
            configuration.basicAuth = auth
            let error = #expect(throws: MetricsServerError.self) { try configuration.validate() }
            #expect(error?.code == .invalidConfiguration)
        }
    }

    @Test("Access levels are ordered")
    func ordering() {
        #expect(AccessLevel.public < .scrape)
        #expect(AccessLevel.scrape < .admin)
        #expect([AccessLevel.admin, .public, .scrape].sorted() == [.public, .scrape, .admin])
    }
}
