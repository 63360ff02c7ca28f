// A small Hummingbird 2 service that embeds the circuit breakers the way a user would: its own routes, one breaker
// around its dependency, the operations routes and /metrics mounted on its own router (one port), and swift-metrics
// going to the same Prometheus registry as the breakers' series. e2e/hummingbird/hummingbird_e2e.py drives it.
//
// Usage: breaker-hummingbird-service --port N [--web-config FILE] [--duration SECONDS]
#if HummingbirdSupport
import CircuitBreaker
import CircuitBreakerHummingbird
import CircuitBreakerOperations
import CircuitBreakerPrometheus
import CoreMetrics
import Foundation
import Hummingbird
import Logging
import MetricsEndpoint
import Prometheus

struct DependencyDown: Error {}

var port = 8080
var webConfigurationFile: String?
var duration: Duration = .seconds(300)
var arguments = CommandLine.arguments.dropFirst().makeIterator()
while let argument = arguments.next() {
    switch argument {
    case "--port": port = arguments.next().flatMap { Int($0) } ?? port
    case "--web-config": webConfigurationFile = arguments.next()
    case "--duration": duration = .seconds(arguments.next().flatMap { Int($0) } ?? 300)
    default:
        FileHandle.standardError.write(Data("unknown argument \(argument)\n".utf8))
        exit(2)
    }
}

let logger = Logger(label: "hummingbird-service")
// One registry: swift-metrics goes to it through PrometheusMetricsFactory, and the breakers' monitor writes to it.
let prometheus = PrometheusCollectorRegistry()
MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: prometheus))
let ordersServed = Counter(label: "orders_served_total")

let monitor = PrometheusMonitor(registry: prometheus)
let operations = BreakerOperations(logger: logger)
let breakers = BreakerRegistry(
    defaultConfiguration: .consecutiveFailures(3, openWait: .seconds(60)),
    monitors: [monitor] + operations.monitors
)
let inventory = try breakers.breaker(named: "inventory")

let routes = try HummingbirdRoutes(
    routes: operations.routes(for: breakers),
    exposition: ExpositionSources(
        text: monitor.emit(into:),
        openMetrics: monitor.emitOpenMetrics(into:),
        protobuf: monitor.emitProtobuf(into:)
    ),
    webConfiguration: try webConfigurationFile.map(WebConfiguration.init(contentsOfFile:))
)
let router = Router(context: ClientAddressContext.self)
router.get("/hello") { _, _ in "hello from the service\n" }
// The service's own route, its dependency behind the breaker: `?fail=1` makes the dependency fail.
router.get("/orders/{id}") { request, context -> Response in
    let id = context.parameters.get("id") ?? "?"
    let failing = request.uri.queryParameters.get("fail") == "1"
    do {
        let stock = try inventory.execute { () throws -> Int in
            if failing { throw DependencyDown() }
            return 42
        }
        ordersServed.increment()
        return Response(status: .ok, body: ResponseBody(byteBuffer: ByteBuffer(string: "order \(id): \(stock) in stock\n")))
    } catch let rejection as CallRejectedError {
        return Response(status: .serviceUnavailable, body: ResponseBody(byteBuffer: ByteBuffer(string: "\(rejection)\n")))
    } catch {
        return Response(status: .badGateway, body: ResponseBody(byteBuffer: ByteBuffer(string: "dependency down\n")))
    }
}
router.addRoutes(routes.collection(context: ClientAddressContext.self))

let app = Application(
    router: router,
    configuration: .init(address: .hostname("127.0.0.1", port: port)),
    logger: logger
)
// Bounded: the service stops by itself after `duration`, whatever its driver does.
let stopper = Task {
    try await Task.sleep(for: duration)
    exit(0)
}
try await app.runService()
stopper.cancel()
#else
import Foundation

FileHandle.standardError.write(Data("built without the HummingbirdSupport trait (swift build --traits HummingbirdSupport)\n".utf8))
exit(1)
#endif
