import Foundation
import TestSupport
import HTTPTypes
import MetricsExporter
import PortableRoutes
import Testing

/// Routes a service adds, end to end through a running server.
@Suite("Route table")
struct RouteTableTests {
    /// Echoes what the handler saw as JSON.
    static let inspect = PortableRoute.get("/api/v1/breakers/{name}", access: .public) { request in
        try .json([
            "method": request.method.rawValue,
            "name": request.pathParameters["name"] ?? "-",
            "verbose": request.queryParameters["verbose"] ?? "-",
            "x": request.queryParameters["x"] ?? "-",
            "header": request.headerFields[HTTPField.Name("x-test")!] ?? "-",
            "path": request.head.path ?? "-",
            "authority": request.head.authority ?? "-",
        ])
    }

    static let events = PortableRoute.get("/api/v1/breakers/events", access: .public) { _ in .text("events\n") }

    static func json(_ response: LoopbackResponse) -> [String: String] {
        (try? JSONDecoder().decode([String: String].self, from: response.body)) ?? [:]
    }

    /// The `error` object of the server's one JSON error shape.
    static func error(_ response: LoopbackResponse) -> [String: String] {
        (try? JSONDecoder().decode([String: [String: String]].self, from: response.body))?["error"] ?? [:]
    }

    @Test("Path parameters are percent-decoded (any name, '/' included), and so are query parameters")
    func parameters() async throws {
        try await withServer(routes: [Self.inspect]) { _, base in
            let response = try await httpRequest(
                base + "/api/v1/breakers/a%2Fb%20c%E2%9C%93?verbose=1&x=%41+b",
                ["-H", "X-Test: hello"]
            )
            #expect(response.status == 200)
            #expect(response.headers["content-type"] == "application/json")
            let seen = Self.json(response)
            #expect(seen["name"] == "a/b c✓")
            #expect(seen["verbose"] == "1")
            #expect(seen["x"] == "A b")
            #expect(seen["header"] == "hello")
            #expect(seen["method"] == "GET")
            #expect(seen["path"] == "/api/v1/breakers/a%2Fb%20c%E2%9C%93")
            // The Host header is the request's authority, as swift-http-types has it.
            #expect(seen["authority"] == String(base.dropFirst("http://".count)))
            let head = try await httpRequest(base + "/api/v1/breakers/x", ["-I"])
            #expect(head.status == 200)
            #expect(head.body.isEmpty)
        }
    }

    @Test("An invalid encoding is a 400, never a crash", arguments: ["%ff", "%zz", "%", "%C3%28", "a%2"])
    func invalidEncoding(segment: String) async throws {
        try await withServer(routes: [Self.inspect]) { _, base in
            let response = try await httpRequest(base + "/api/v1/breakers/" + segment)
            #expect(response.status == 400)
            let query = try await httpRequest(base + "/api/v1/breakers/ok?x=" + segment)
            #expect(query.status == 400)
            #expect(try await httpRequest(base + "/api/v1/breakers/ok").status == 200)
        }
    }

    @Test("A literal segment beats a parameter")
    func specificity() async throws {
        try await withServer(routes: [Self.inspect, Self.events]) { _, base async throws -> Void in
            #expect(try await httpRequest(base + "/api/v1/breakers/events").text == "events\n")
            #expect(Self.json(try await httpRequest(base + "/api/v1/breakers/other"))["name"] == "other")
        }
    }

    @Test("POST bodies up to the route's limit reach the handler; larger ones are 413; handlers answer JSON errors")
    func bodies() async throws {
        let echo = PortableRoute.post("/echo", access: .public, bodyLimit: 16) { request in
            guard !request.body.isEmpty else { return .jsonError(.badRequest, "empty body") }
            return RouteResponse(status: .created, headerFields: [.contentType: "text/plain"], bytes: request.body)
        }
        try await withServer(routes: [echo]) { _, base in
            let json = ["-H", "Content-Type: application/json"]
            let ok = try await httpRequest(base + "/echo", json + ["--data-binary", "sixteen bytes!!!"])
            #expect(ok.status == 201)
            #expect(ok.text == "sixteen bytes!!!")
            let chunkedOK = try await httpRequest(
                base + "/echo",
                json + ["-H", "Transfer-Encoding: chunked", "--data-binary", "small"]
            )
            #expect(chunkedOK.text == "small")
            let large = try await httpRequest(base + "/echo", json + ["--data-binary", "seventeen bytes!!"])
            #expect(large.status == 413)
            let chunkedLarge = try await httpRequest(
                base + "/echo",
                json + ["-H", "Transfer-Encoding: chunked", "--data-binary", String(repeating: "x", count: 100)]
            )
            #expect(chunkedLarge.status == 413)
            let empty = try await httpRequest(base + "/echo", json + ["-X", "POST"])
            #expect(empty.status == 400)
            #expect(empty.headers["content-type"] == "application/json")
            #expect(Self.error(empty) == ["code": "bad_request", "message": "empty body"])
            // What a cross-site HTML form can send is refused before the handler: 415, and the body is not read.
            let form = try await httpRequest(base + "/echo", ["-H", "Content-Type: text/plain", "--data-binary", "x"])
            #expect(form.status == 415)
        }
    }

    @Test("Two methods on one path; others get 405 with both in Allow, as JSON for a JSON client")
    func methods() async throws {
        let path = "/api/v1/breakers/{name}/override"
        let post = PortableRoute.post(path, access: .public) { _ in .text("set\n") }
        let delete = PortableRoute.delete(path, access: .public) { _ in RouteResponse(status: .noContent) }
        try await withServer(routes: [post, delete]) { _, base in
            let url = base + "/api/v1/breakers/x/override"
            let json = ["-H", "Content-Type: application/json"]
            #expect(try await httpRequest(url, json + ["-X", "POST"]).text == "set\n")
            #expect(try await httpRequest(url, json + ["-X", "DELETE"]).status == 204)
            // Under /api/ every error is JSON, whatever the client accepts.
            let get = try await httpRequest(url)
            #expect(get.status == 405)
            #expect(get.headers["allow"] == "POST, DELETE")
            #expect(get.headers["content-type"] == "application/json")
            #expect(Self.error(get) == ["code": "method_not_allowed", "message": "Method Not Allowed"])
        }
    }

    @Test("A service's own / replaces the landing page; the other standard routes stay")
    func replaceLandingPage() async throws {
        let page = PortableRoute.get("/", access: .public) { _ in .html("<p>status</p>") }
        try await withServer(routes: [page]) { _, base async throws -> Void in
            #expect(try await httpRequest(base + "/").text == "<p>status</p>")
            #expect(try await httpRequest(base + "/-/healthy").status == 200)
            #expect(try await httpRequest(base + "/metrics").status == 200)
        }
    }

    @Test("A handler that throws gets a 500 with a JSON body; a line break cannot split a response")
    func throwingHandler() async throws {
        struct Failure: Error {}
        let failing = PortableRoute.get("/fail", access: .public) { _ in throw Failure() }
        let badHeader = PortableRoute.get("/bad-header", access: .public) { _ in
            var response = RouteResponse(status: .ok)
            response.headerFields[HTTPField.Name("X-Split")!] = "a\r\nSet-Cookie: x=1"
            return response
        }
        try await withServer(routes: [failing, badHeader]) { _, base in
            let response = try await httpRequest(base + "/fail")
            #expect(response.status == 500)
            #expect(Self.error(response) == ["code": "internal_error", "message": "internal server error"])
            // swift-http-types turns the line break into spaces: one header, no second one smuggled in.
            let split = try await httpRequest(base + "/bad-header")
            #expect(split.status == 200)
            #expect(split.headers["set-cookie"] == nil)
            #expect(split.headers["x-split"]?.contains("\n") == false)
            let metrics = try await httpRequest(base + "/metrics").text
            #expect(metrics.contains("metrics_exporter_http_requests_total{code=\"500\",path=\"/fail\"} 1\n"))
        }
    }

    @Test("Conflicting or malformed routes fail start() with invalidRoute")
    func invalidRoutes() {
        let handler: PortableRoute.Handler = { _ in .text("") }
        let cases: [[PortableRoute]] = [
            [.get("/a/{x}", access: .public, handler: handler), .get("/a/{y}", access: .public, handler: handler)],
            [.get("no-slash", access: .public, handler: handler)],
            [PortableRoute(methods: [], path: "/a", access: .public, handler: handler)],
            [.post("/a", access: .public, bodyLimit: -1, handler: handler)],
            [.post("/a", access: .public, bodyLimit: PortableRoute.maximumBodyLimit + 1, handler: handler)],
        ]
        for routes in cases {
            let server = MetricsServer(
                configuration: testConfiguration(),
                logger: quietLogger,
                exposition: ExpositionSources(text: sampleExposition),
                routes: routes
            )
            let error = #expect(throws: MetricsServerError.self) { try server.start() }
            #expect(error?.code == .invalidRoute, "\(String(describing: error))")
            #expect(!server.isRunning)
        }
    }
}
