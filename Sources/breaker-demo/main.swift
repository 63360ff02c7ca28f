import CircuitBreaker
import CircuitBreakerMonitors
import CircuitBreakerOperations
import CircuitBreakerPrometheus
import Logging
import MetricsExporter
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

let exporting = DemoMonitors(options)
let statistics = CallStatistics()
// Operations first: the registry's breakers get its monitors, which restore saved overrides as they are created.
let operations = BreakerOperations(
    configuration: .init(
        stateFile: options.stateFile,
        maximumTTL: options.maximumOverrideTTL,
        heartbeatInterval: options.heartbeatInterval
    ),
    logger: logger
)
let registry = BreakerRegistry(
    monitors: [exporting.monitor, LoggingMonitor(logger: logger), statistics] + operations.monitors
)

let started = ContinuousClock.now
let routes: [TrafficGenerator.Route]
var partnerTraffic: PartnerTraffic?
var calibration: CalibrationLoad?
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
        .init(
            breaker: try registry.breaker(named: "search", configuration: DemoBreakers.search),
            dependency: SimulatedDependency(
                name: "search",
                behaviour: .flaky(failureRate: options.shadowFailureRate, slowRate: 0),
                started: started
            ),
            cachedAnswer: nil
        ),
    ]
    if options.partners > 0 {
        // A group of its own rather than the registry's: the operations API and the status page do not list the
        // keys of groups yet, so the group gets the exporter's monitor and the log only.
        let partners = (1...options.partners).map { number in
            SimulatedDependency(
                name: "partner-" + (number < 10 ? "0" : "") + String(number),
                behaviour: number <= options.partnerOutages
                    ? .outages(
                        offset: options.outageOffset,
                        duration: options.outageDuration,
                        period: options.outagePeriod
                    )
                    : .healthy,
                started: started
            )
        }
        partnerTraffic = PartnerTraffic(
            group: try BreakerGroup(
                name: "partners",
                template: DemoBreakers.partnerTemplate,
                configuration: DemoBreakers.partnerLimits(partners: options.partners),
                monitors: [exporting.monitor, LoggingMonitor(logger: logger)]
            ),
            partners: partners,
            callsPerSecond: options.rate,
            madeUpKeysPerSecond: options.madeUpKeys,
            tracing: DemoTracing(prefix: options.traceIDPrefix)
        )
    }
    for index in 0..<options.extraBreakers {
        _ = try registry.breaker(named: "idle-\(index)")
    }
    if options.calibration {
        let clock = ManualClock(wallClockOrigin: Date().timeIntervalSince1970)
        calibration = CalibrationLoad(
            breaker: try CircuitBreaker(
                name: CalibrationLoad.breakerName,
                monitors: exporting.prometheusMonitor.map { [$0] } ?? [],
                clock: .manual(clock)
            ),
            clock: clock,
            callsPerSecond: options.rate
        )
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
serverConfiguration.limits.requestTimeout = options.requestTimeout
serverConfiguration.limits.streamsPerAddress = options.streamsPerAddress
do {
    serverConfiguration = try DemoUsers.apply(options, to: serverConfiguration)
} catch {
    exitWithError("\(error)", code: 2)
}
let server = MetricsServer(
    configuration: serverConfiguration,
    logger: logger,
    exposition: exporting.exposition,
    // The live status page replaces the landing page at `/`.
    routes: operations.routes(for: registry)
)

if let renders = options.hangRendersAfter { RenderHang.install(on: server, after: renders) }

do {
    try server.start()
} catch {
    exitWithError("\(error)", code: 1)
}
if let address = server.boundAddress {
    logger.notice("serving metrics", metadata: ["url": "http://\(address)/metrics"])
    if !options.quiet { print("metrics: http://\(address)/metrics   status page: http://\(address)/") }
}

var services: [any Service] = [
    RunningServer(server: server),
    TrafficGenerator(routes: routes, callsPerSecond: options.rate, tracing: DemoTracing(prefix: options.traceIDPrefix)),
]
if let calibration { services.append(calibration) }
if let partnerTraffic { services.append(partnerTraffic) }
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

/// Prints `message` on standard error and exits with `code`.
func exitWithError(_ message: String, code: Int32) -> Never {
    FileHandle.standardError.write(Data("breaker-demo: \(message)\n".utf8))
    exit(code)
}
