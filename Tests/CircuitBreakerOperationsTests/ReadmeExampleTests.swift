import CircuitBreaker
import CircuitBreakerOperations
import CircuitBreakerPrometheus
import Logging
import MetricsExporter
import Prometheus
import Testing

@Suite("The README's five lines compile and serve the operations routes")
struct ReadmeExampleTests {
    @Test("the five lines of docs/operations-api.md")
    func fiveLines() throws {
        let logger = Logger(label: "readme")
        let prometheusMonitor = PrometheusMonitor(registry: PrometheusCollectorRegistry())
        let serverConfiguration = MetricsServerConfiguration.loopback(port: 0)
        let path = try temporaryDirectory() + "/overrides.json"
        // The README's lines, with its state file path replaced by a temporary one:
        let operations = BreakerOperations(configuration: .init(stateFile: path), logger: logger)
        let registry = BreakerRegistry(monitors: [prometheusMonitor] + operations.monitors)
        let server = MetricsServer(configuration: serverConfiguration, logger: logger,
                                   exposition: ExpositionSources(text: prometheusMonitor.emit(into:)),
                                   routes: operations.routes(for: registry))
        #expect(
            server.routes.map(\.path) == [
                "/", "/admin", "/api/v1/breakers", "/api/v1/breakers/{name}", "/api/v1/events",
                "/api/v1/breakers/{name}/override", "/api/v1/breakers/{name}/override",
            ]
        )
        #expect(server.routes.filter { $0.access == .admin }.count == 3)
    }
}

@Suite("The README's exporter example compiles")
struct ReadmeExporterExampleTests {
    @Test("the example of the README's Exporter section, without a web config")
    func exporterExample() throws {
        let logger = Logger(label: "readme")
        let prometheusMonitor = PrometheusMonitor(registry: PrometheusCollectorRegistry())
        _ = try CircuitBreaker(name: "payments", monitors: [prometheusMonitor])
        let configuration = MetricsServerConfiguration.loopback(port: 0)
        // The README's lines (its `configuration.apply(try WebConfiguration(contentsOfFile:))` left out):
        let server = MetricsServer(
            configuration: configuration,
            logger: logger,
            exposition: ExpositionSources(
                text: prometheusMonitor.emit(into:),
                openMetrics: prometheusMonitor.emitOpenMetrics(into:),
                protobuf: prometheusMonitor.emitProtobuf(into:)
            ),
            routes: [.get("/version", access: .public) { _ in .text("1.4.2\n") }]
        )
        #expect(server.routes.map(\.path) == ["/version"])
        #expect(server.routes.first?.access == .public)
        #expect(server.configuration.bindAddress.port == 0)
    }
}
