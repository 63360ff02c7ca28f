import Foundation
import TestSupport
import Synchronization
import Testing
import MetricsEndpoint

@testable import MetricsExporter
import PortableRoutes

/// Cross-site forgery as a browser would carry it out, and the one error shape of `/api/`.
@Suite("Cross-site requests and API errors")
struct CrossSiteGuardTests {
    /// Counts the calls that reached the handler, so a test sees that a refused request changed nothing.
    final class Calls: Sendable {
        private let count = Atomic<Int>(0)
        func record() { self.count.add(1, ordering: .relaxed) }
        var value: Int { self.count.load(ordering: .relaxed) }
    }

    static func routes(_ calls: Calls) -> [PortableRoute] {
        [
            .post("/api/v1/things/{name}/override", access: .public, bodyLimit: 64) { _ in
                calls.record()
                return .json(bytes: Array("{}".utf8))
            },
            .delete("/api/v1/things/{name}/override", access: .public) { _ in
                calls.record()
                return .json(bytes: Array("{}".utf8))
            },
            .get("/page", access: .public) { _ in .html("<p>page</p>") },
        ]
    }

    @Test("What an HTML form on another site can send is refused with 415 before the handler runs", arguments: [
        ["-H", "Content-Type: text/plain", "--data-binary", #"{"action":"force_open"}"#],
        ["-H", "Content-Type: application/x-www-form-urlencoded", "--data-binary", "action=force_open"],
        ["-F", "action=force_open"],
        ["-X", "POST"],
        ["-H", "Content-Type: application/jsonp", "--data-binary", "{}"],
    ])
    func formPosts(arguments: [String]) async throws {
        let calls = Calls()
        try await withServer(routes: Self.routes(calls)) { _, base async throws -> Void in
            let response = try await httpRequest(base + "/api/v1/things/x/override", arguments)
            #expect(response.status == 415)
            #expect(CrossSiteGuardTests.code(response) == "unsupported_media_type")
            #expect(calls.value == 0)
        }
    }

    @Test("DELETE needs application/json too; charset parameters are fine")
    func deleteAndParameters() async throws {
        let calls = Calls()
        try await withServer(routes: Self.routes(calls)) { _, base async throws -> Void in
            let url = base + "/api/v1/things/x/override"
            #expect(try await httpRequest(url, ["-X", "DELETE"]).status == 415)
            let json = ["-H", "Content-Type: Application/JSON; charset=utf-8"]
            #expect(try await httpRequest(url, json + ["-X", "DELETE"]).status == 200)
            #expect(try await httpRequest(url, json + ["--data-binary", "{}"]).status == 200)
            #expect(calls.value == 2)
        }
    }

    @Test("A request from another origin or site is refused with 403; the same origin passes", arguments: [
        (["-H", "Origin: http://evil.example"], 403),
        (["-H", "Origin: null"], 403),
        (["-H", "Origin: http://127.0.0.1:1"], 403),
        (["-H", "Sec-Fetch-Site: cross-site"], 403),
        (["-H", "Sec-Fetch-Site: same-site"], 403),
        (["-H", "Sec-Fetch-Site: same-origin"], 200),
        (["-H", "Sec-Fetch-Site: none"], 200),
    ])
    func origins(headers: [String], status: Int) async throws {
        let calls = Calls()
        try await withServer(routes: Self.routes(calls)) { _, base async throws -> Void in
            let json = ["-H", "Content-Type: application/json", "--data-binary", "{}"]
            let response = try await httpRequest(base + "/api/v1/things/x/override", json + headers)
            #expect(response.status == status)
            if status == 403 {
                #expect(CrossSiteGuardTests.code(response) == "cross_site_request")
                #expect(calls.value == 0)
            }
            // The page's own origin (what a browser sends for a same-origin fetch) passes.
            let host = String(base.dropFirst("http://".count))
            let same = try await httpRequest(base + "/api/v1/things/x/override", json + ["-H", "Origin: http://\(host)"])
            #expect(same.status == 200)
        }
    }

    @Test("Reads are not state-changing: a GET from another site is served")
    func readsPass() async throws {
        try await withServer(routes: Self.routes(Calls())) { _, base async throws -> Void in
            #expect(try await httpRequest(base + "/page", ["-H", "Origin: http://evil.example"]).status == 200)
        }
    }

    @Test("HTML answers carry nosniff, no-referrer, a CSP without script and frame-ancestors 'none'")
    func pageHeaders() async throws {
        try await withServer(routes: Self.routes(Calls())) { _, base async throws -> Void in
            let page = try await httpRequest(base + "/page")
            #expect(page.headers["x-content-type-options"] == "nosniff")
            #expect(page.headers["referrer-policy"] == "no-referrer")
            #expect(page.headers["content-security-policy"] == SecurityHeaders.defaultPolicy)
            #expect(page.headers["x-frame-options"] == "DENY")
            let landing = try await httpRequest(base + "/")
            #expect(landing.headers["content-security-policy"] == SecurityHeaders.defaultPolicy)
            #expect(landing.headers["referrer-policy"] == "no-referrer")
        }
    }

    @Test("Every answer under /api/ is the JSON error shape, whatever the client accepts")
    func apiErrors() async throws {
        let hash = try bcryptHash(user: "operator", password: "pw")
        var configuration = testConfiguration()
        configuration.basicAuth = .init(users: ["prometheus": hash], adminUsers: ["operator": hash])
        let admin = PortableRoute.post("/api/v1/admin", access: .admin, bodyLimit: 8) { _ in .json(bytes: Array("{}".utf8)) }
        try await withServer(configuration, routes: [admin]) { _, base async throws -> Void in
            let json = ["-H", "Content-Type: application/json", "-H", "Accept: text/html"]
            let cases: [(url: String, arguments: [String], status: Int, code: String)] = [
                ("/api/v1/admin", json + ["--data-binary", "{}"], 401, "unauthorized"),
                ("/api/v1/admin", json + ["-u", "prometheus:pw", "--data-binary", "{}"], 403, "forbidden"),
                ("/api/v1/nothing", [], 404, "not_found"),
                ("/api/v1/admin", ["-u", "operator:pw"], 405, "method_not_allowed"),
                ("/api/v1/admin", json + ["-u", "operator:pw", "--data-binary", "{\"too\":\"long\"}"], 413,
                    "content_too_large"),
                ("/api/v1/admin", ["-u", "operator:pw", "--data-binary", "{}"], 415, "unsupported_media_type"),
            ]
            for item in cases {
                let response = try await httpRequest(base + item.url, item.arguments)
                #expect(response.status == item.status, "\(item.url) \(item.arguments)")
                #expect(response.headers["content-type"] == "application/json")
                #expect(CrossSiteGuardTests.code(response) == item.code)
            }
            // Outside /api/, a browser still gets text.
            #expect(try await httpRequest(base + "/nothing").headers["content-type"] == "text/plain; charset=utf-8")
        }
    }

    /// The `error.code` of a JSON error body.
    static func code(_ response: LoopbackResponse) -> String? {
        let object = try? JSONSerialization.jsonObject(with: response.body) as? [String: Any]
        return (object?["error"] as? [String: Any])?["code"] as? String
    }
}
