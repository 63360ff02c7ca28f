#if HummingbirdSupport
import CircuitBreaker
import CircuitBreakerHummingbird
import CircuitBreakerOperations
import CircuitBreakerPrometheus
import Foundation
import Hummingbird
import Logging
import MetricsEndpoint
import Prometheus
import Testing
import TestSupport

@Suite("The README's Hummingbird embedding compiles and serves")
struct ReadmeExampleTests {
    @Test("the lines of the README's section 'Embedding in a Hummingbird service'")
    func embedding() async throws {
        let logger = quietLogger
        let prometheus = PrometheusCollectorRegistry()
        let directory = NSTemporaryDirectory() + "readme-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let hash = try #require(makeBcryptHash(password: "secret", cost: 4))
        try "admin_users:\n  alice: '\(hash)'\n".write(toFile: directory + "/web.yml", atomically: true, encoding: .utf8)
        let webFile = directory + "/web.yml"
        // The README's lines, with its "web.yml" replaced by a temporary file and the application started on an
        // ephemeral port by the test instead of runService():
        let monitor = PrometheusMonitor(registry: prometheus)       // the registry your PrometheusMetricsFactory uses too
        let operations = BreakerOperations(logger: logger)
        let breakers = BreakerRegistry(monitors: [monitor] + operations.monitors)
        let routes = try HummingbirdRoutes(
            routes: operations.routes(for: breakers),
            exposition: ExpositionSources(text: monitor.emit(into:), openMetrics: monitor.emitOpenMetrics(into:)),
            webConfiguration: WebConfiguration(contentsOfFile: webFile))
        let router = Router(context: ClientAddressContext.self)
        router.get("/hello") { _, _ in "hello\n" }
        router.addRoutes(routes.collection(context: ClientAddressContext.self))
        _ = try breakers.breaker(named: "payments")
        try await withApplication(router) { base async throws -> Void in
            #expect(try await httpRequest(base + "/hello").text == "hello\n")
            #expect(try await httpRequest(base + "/metrics").text.contains("circuit_breaker_state{breaker=\"payments\""))
            #expect(try await httpRequest(base + "/admin").status == 401)
            #expect(try await httpRequest(base + "/admin", ["-u", "alice:secret"]).status == 200)
        }
    }
}
#endif
