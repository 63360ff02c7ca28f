import CircuitBreaker
import CircuitBreakerMonitors
import CircuitBreakerPrometheus
import Logging
import MetricsExporter
import Prometheus
import ServiceLifecycle

import Foundation

let options: DemoOptions
do {
    options = try DemoOptions.parse(Array(CommandLine.arguments.dropFirst()))
} catch {
    exitWithError("\(error)", code: 2)
}
if options.help {
    print(DemoOptions.usage)
    exit(0)
}

LoggingSystem.bootstrap { label in
    var handler = StreamLogHandler.standardError(label: label)
    handler.logLevel = .notice
    return handler
}
let logger = Logger(label: "breaker-demo")

let prometheus = PrometheusCollectorRegistry()
let prometheusMonitor = PrometheusMonitor(
    registry: prometheus,
    configuration: .init(recordsDurations: true, maximumBreakers: max(1_000, options.extraBreakers + 3))
)
let statistics = CallStatistics()
let registry = BreakerRegistry(
    monitors: [prometheusMonitor, LoggingMonitor(logger: logger), statistics]
)

let started = ContinuousClock.now
let routes: [TrafficGenerator.Route]
do {
    routes = [
        .init(
            breaker: try registry.breaker(named: "catalog", configuration: DemoBreakers.catalog),
            dependency: SimulatedDependency(name: "catalog", behaviour: .healthy, started: started),
            cachedAnswer: nil
        ),
        .init(
            breaker: try registry.breaker(named: "recommendations", configuration: DemoBreakers.recommendations),
            dependency: SimulatedDependency(
                name: "recommendations",
                behaviour: .flaky(failureRate: options.flakyFailureRate, slowRate: options.flakySlowRate),
                started: started
            ),
            cachedAnswer: "recommendations: cached"
        ),
        .init(
            breaker: try registry.breaker(named: "payments", configuration: DemoBreakers.payments),
            dependency: SimulatedDependency(
                name: "payments",
                behaviour: .outages(
                    offset: options.outageOffset,
                    duration: options.outageDuration,
                    period: options.outagePeriod
                ),
                started: started
            ),
            cachedAnswer: nil
        ),
    ]
    for index in 0..<options.extraBreakers {
        _ = try registry.breaker(named: "idle-\(index)")
    }
} catch {
    exitWithError("cannot create the breakers: \(error)", code: 1)
}

var serverConfiguration = MetricsServerConfiguration(
    bindAddress: options.bind.contains(":")
        ? .ipv6(options.bind, port: options.port) : .ipv4(options.bind, port: options.port)
)
serverConfiguration.serviceName = "breaker-demo"
serverConfiguration.limits.perIPConnectionLimit = options.perIPConnectionLimit
let server = MetricsServer(
    configuration: serverConfiguration,
    logger: logger,
    source: { buffer in prometheusMonitor.emit(into: &buffer) },
    status: {
        registry.snapshots().filter { !$0.name.hasPrefix("idle-") }.map { snapshot in
            "\(snapshot.name): \(snapshot.state.label)"
                + (snapshot.retryAfter.map { ", retry in \($0.seconds.formatted1) s" } ?? "")
        }.joined(separator: "\n")
    }
)

if let renders = options.hangRendersAfter { RenderHang.install(on: server, after: renders) }

do {
    try server.start()
} catch {
    exitWithError("\(error)", code: 1)
}
if let address = server.boundAddress {
    logger.notice("serving metrics", metadata: ["url": "http://\(address)/metrics"])
    if !options.quiet { print("metrics: http://\(address)/metrics   landing page: http://\(address)/") }
}

var services: [any Service] = [
    RunningServer(server: server),
    TrafficGenerator(routes: routes, callsPerSecond: options.rate),
]
if !options.quiet {
    services.append(
        StatusBoard(registry: registry, statistics: statistics, names: routes.map(\.breaker.name), interval: .seconds(2))
    )
}
if options.duration > 0 {
    services.append(Timer(after: .seconds(options.duration)))
}
let group = ServiceGroup(
    configuration: ServiceGroupConfiguration(
        services: services.map {
            .init(service: $0, successTerminationBehavior: .gracefullyShutdownGroup)
        },
        gracefulShutdownSignals: [.sigterm, .sigint],
        logger: logger
    )
)
do {
    try await group.run()
} catch {
    exitWithError("\(error)", code: 1)
}

/// Keeps a server that was started up front (so that a port in use is reported before anything else runs)
/// until the group shuts down, then stops it, letting in-flight scrapes finish.
struct RunningServer: Service {
    let server: MetricsServer

    func run() async throws {
        try? await gracefulShutdown()
        await server.stop()
    }
}

/// Ends the demo after `--duration`.
struct Timer: Service {
    let after: Duration

    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            try await Task.sleep(for: after)
        }
    }
}

extension Double {
    var formatted1: String {
        let tenths = Int((self * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)"
    }
}

/// Prints `message` on standard error and exits with `code`.
func exitWithError(_ message: String, code: Int32) -> Never {
    FileHandle.standardError.write(Data("breaker-demo: \(message)\n".utf8))
    exit(code)
}
