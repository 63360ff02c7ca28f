#if HummingbirdSupport
import CircuitBreaker
import CircuitBreakerHummingbird
import CircuitBreakerOperations
import CircuitBreakerPrometheus
import Foundation
import Hummingbird
import MetricsEndpoint
import PortableRoutes
import Prometheus
import Testing
import TestSupport

/// The operations routes and /metrics on a Hummingbird router, with the exporter's gate.
@Suite("Hummingbird routes")
struct HummingbirdRoutesTests {
    /// A service's router with its own route, the breaker routes and /metrics mounted on it.
    struct Service {
        let registry: BreakerRegistry
        let operations: BreakerOperations
        let routes: HummingbirdRoutes
        let router: Router<ClientAddressContext>

        init(webConfiguration: WebConfiguration? = nil) throws {
            let prometheus = PrometheusCollectorRegistry()
            let monitor = PrometheusMonitor(registry: prometheus)
            operations = BreakerOperations(logger: quietLogger)
            registry = BreakerRegistry(
                defaultConfiguration: .consecutiveFailures(2, openWait: .seconds(30)),
                monitors: [monitor] + operations.monitors
            )
            routes = try HummingbirdRoutes(
                routes: operations.routes(for: registry),
                exposition: ExpositionSources(
                    text: monitor.emit(into:),
                    openMetrics: monitor.emitOpenMetrics(into:),
                    protobuf: monitor.emitProtobuf(into:)
                ),
                webConfiguration: webConfiguration
            )
            router = Router(context: ClientAddressContext.self)
            router.get("/hello") { _, _ in "hello\n" }
            router.addRoutes(routes.collection(context: ClientAddressContext.self))
        }
    }

    static let json = ["-H", "Content-Type: application/json"]
    static let override = #"{"action":"force_open","reason":"incident","ttl":"5m"}"#

    @Test("The service's own route, the status API, the page with its headers, and /metrics share one port")
    func mounted() async throws {
        let service = try Service()
        _ = try service.registry.breaker(named: "payments")
        try await withApplication(service.router) { base async throws -> Void in
            #expect(try await httpRequest(base + "/hello").text == "hello\n")
            let list = try await httpRequest(base + "/api/v1/breakers")
            #expect(list.status == 200)
            #expect(list.headers["content-type"] == "application/json")
            #expect(list.headers["x-content-type-options"] == "nosniff")
            #expect(list.text.contains(#""name":"payments""#))
            let one = try await httpRequest(base + "/api/v1/breakers/payments")
            #expect(one.status == 200)
            let missing = try await httpRequest(base + "/api/v1/breakers/nope")
            #expect(missing.status == 404)
            #expect(errorCode(missing) == "unknown_breaker")
            let page = try await httpRequest(base + "/")
            #expect(page.status == 200)
            #expect(page.headers["content-security-policy"]?.contains("frame-ancestors 'none'") == true)
            #expect(page.headers["x-frame-options"] == "DENY")
            #expect(page.text.contains("payments"))
            let metrics = try await httpRequest(base + "/metrics")
            #expect(metrics.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8")
            #expect(metrics.headers["vary"] == "Accept")
            #expect(metrics.text.contains(#"circuit_breaker_state{breaker="payments",state="closed"} 1"#))
        }
    }

    @Test("/metrics negotiates text, OpenMetrics and protobuf")
    func negotiation() async throws {
        let service = try Service()
        _ = try service.registry.breaker(named: "payments")
        try await withApplication(service.router) { base async throws -> Void in
            let openMetrics = try await httpRequest(
                base + "/metrics",
                ["-H", "Accept: application/openmetrics-text; version=1.0.0"]
            )
            #expect(openMetrics.headers["content-type"] == "application/openmetrics-text; version=1.0.0; charset=utf-8")
            #expect(openMetrics.text.hasSuffix("# EOF\n"))
            #expect(openMetrics.text.components(separatedBy: "# EOF").count == 2)
            let protobuf = try await httpRequest(
                base + "/metrics",
                ["-H", "Accept: application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited"]
            )
            #expect(protobuf.headers["content-type"]?.hasPrefix("application/vnd.google.protobuf") == true)
            #expect(!protobuf.body.isEmpty)
            #expect(protobuf.text.contains("circuit_breaker_state"))
        }
    }

    @Test("Access levels from the web config: scrape users read, admins override, others are refused")
    func accessLevels() async throws {
        let scrape = try #require(makeBcryptHash(password: "scrape-pw", cost: 4))
        let admin = try #require(makeBcryptHash(password: "admin-pw", cost: 4))
        let web = try WebConfiguration(
            parsing: "basic_auth_users:\n  prometheus: '\(scrape)'\nadmin_users:\n  operator: '\(admin)'\n"
        )
        let service = try Service(webConfiguration: web)
        let payments = try service.registry.breaker(named: "payments")
        try await withApplication(service.router) { base async throws -> Void in
            let anonymous = try await httpRequest(base + "/metrics")
            #expect(anonymous.status == 401)
            #expect(anonymous.headers["www-authenticate"]?.hasPrefix("Basic realm=\"metrics\"") == true)
            #expect(try await httpRequest(base + "/metrics", ["-u", "prometheus:scrape-pw"]).status == 200)
            #expect(try await httpRequest(base + "/metrics", ["-u", "prometheus:wrong"]).status == 401)
            #expect(try await httpRequest(base + "/api/v1/breakers", ["-u", "operator:admin-pw"]).status == 200)
            let url = base + "/api/v1/breakers/payments/override"
            let body = ["--data-binary", Self.override]
            let none = try await httpRequest(url, Self.json + body)
            #expect(none.status == 401)
            #expect(errorCode(none) == "unauthorized")
            let scraper = try await httpRequest(url, Self.json + body + ["-u", "prometheus:scrape-pw"])
            #expect(scraper.status == 403)
            #expect(payments.state == .closed)
            let applied = try await httpRequest(url, Self.json + body + ["-u", "operator:admin-pw"])
            #expect(applied.status == 200)
            #expect(payments.state == .forcedOpen)
            #expect(payments.activeOverride?.actor == "operator")
            // The admin page needs an admin; the service's own route stays public.
            #expect(try await httpRequest(base + "/admin", ["-u", "prometheus:scrape-pw"]).status == 403)
            #expect(try await httpRequest(base + "/admin", ["-u", "operator:admin-pw"]).status == 200)
            #expect(try await httpRequest(base + "/hello").status == 200)
        }
    }

    @Test("The cross-site guard, the body limit and the encoding checks come before any handler")
    func gate() async throws {
        let admin = try #require(makeBcryptHash(password: "pw", cost: 4))
        let service = try Service(webConfiguration: try WebConfiguration(parsing: "admin_users:\n  operator: '\(admin)'\n"))
        let payments = try service.registry.breaker(named: "payments")
        let registry = service.registry
        try await withApplication(service.router) { base async throws -> Void in
            let url = base + "/api/v1/breakers/payments/override"
            let user = ["-u", "operator:pw"]
            let evil = try await httpRequest(
                url,
                Self.json + user + ["-H", "Origin: http://evil.example", "--data-binary", Self.override]
            )
            #expect(evil.status == 403)
            #expect(errorCode(evil) == "cross_site_request")
            let form = try await httpRequest(url, user + ["-H", "Content-Type: text/plain", "--data-binary", Self.override])
            #expect(form.status == 415)
            let large = try await httpRequest(
                url,
                Self.json + user + ["--data-binary", String(repeating: "x", count: 5_000)]
            )
            #expect(large.status == 413)
            #expect(payments.state == .closed, "no refused request changed anything")
            let badEncoding = try await httpRequest(base + "/api/v1/breakers/%zz")
            #expect(badEncoding.status == 400)
            // A name with an encoded slash is one parameter, decoded.
            _ = try registry.breaker(named: "a/b")
            #expect(try await httpRequest(base + "/api/v1/breakers/a%2Fb").status == 200)
        }
    }

    @Test("The event stream: the retry hint, then the events as they happen")
    func events() async throws {
        let service = try Service()
        let payments = try service.registry.breaker(named: "payments")
        let operations = service.operations
        try await withApplication(service.router) { base async throws -> Void in
            let port = try #require(UInt16(base.split(separator: ":").last ?? ""))
            let client = try StreamReader(port: port)
            client.send("GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            #expect(await client.read(until: "retry: 2000"))
            #expect(client.text.contains("content-type: text/event-stream"))
            try #require(await eventually { operations.droppedEventClients == 0 })
            struct Failure: Error {}
            for _ in 0..<2 { _ = try? payments.execute { throw Failure() } }
            #expect(await client.read(until: "event: transition"))
            #expect(client.text.contains(#""to":"open""#))
        }
    }

    @Test("A service protects its own routes with the same users through the access middleware")
    func middleware() async throws {
        let admin = try #require(makeBcryptHash(password: "pw", cost: 4))
        let service = try Service(webConfiguration: try WebConfiguration(parsing: "admin_users:\n  operator: '\(admin)'\n"))
        let group = service.router.group("/internal").add(middleware: service.routes.accessMiddleware(.admin, context: ClientAddressContext.self))
        group.get("/whoami") { _, _ in "\(HummingbirdRoutes.currentUser?.name ?? "-")\n" }
        try await withApplication(service.router) { base async throws -> Void in
            #expect(try await httpRequest(base + "/internal/whoami").status == 401)
            #expect(try await httpRequest(base + "/internal/whoami", ["-u", "operator:nope"]).status == 401)
            #expect(try await httpRequest(base + "/internal/whoami", ["-u", "operator:pw"]).text == "operator\n")
        }
    }

    @Test("Malformed or conflicting routes, and a TLS section, are typed errors")
    func invalid() throws {
        let handler: PortableRoute.Handler = { _ in .text("") }
        let sources = ExpositionSources(text: { _ in })
        for routes in [
            [PortableRoute.get("no-slash", access: .public, handler: handler)],
            [.get("/a/{x}", access: .public, handler: handler), .get("/a/{y}", access: .public, handler: handler)],
            [.get("/metrics", access: .public, handler: handler)],
        ] {
            let error = #expect(throws: MetricsServerError.self) {
                _ = try HummingbirdRoutes(routes: routes, exposition: sources)
            }
            #expect(error?.code == .invalidRoute)
        }
        let tls = WebConfiguration(tls: .init(certificatePEM: "-----BEGIN x", privateKeyPEM: "-----BEGIN y"))
        let error = #expect(throws: MetricsServerError.self) {
            _ = try HummingbirdRoutes(routes: [], exposition: sources, webConfiguration: tls)
        }
        #expect(error?.code == .invalidConfiguration)
    }
}
#endif
