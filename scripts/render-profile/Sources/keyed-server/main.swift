// keyed-server PORT KEYS CALLS_PER_SECOND
//
// One group of KEYS keyed breakers (consecutive failures, as a per-host breaker often is; every key called once),
// bound to a PrometheusMonitor that records durations as the demo's does, served by MetricsServer on
// 127.0.0.1:PORT (0 picks one; the bound port is printed as `port N`). A thread calls the keys in turn at
// CALLS_PER_SECOND, so that scrapes see keys change. Runs until killed.
import CircuitBreaker
import CircuitBreakerPrometheus
import Logging
import MetricsExporter

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

let arguments = CommandLine.arguments
guard arguments.count == 4, let port = Int(arguments[1]), (0...65_535).contains(port), let keyCount = Int(arguments[2]),
    keyCount > 0, let callsPerSecond = Int(arguments[3]), callsPerSecond >= 0
else {
    print("usage: keyed-server PORT KEYS CALLS_PER_SECOND")
    exit(2)
}

let monitor = PrometheusMonitor(configuration: .init(recordsDurations: true))
let group = try BreakerGroup(
    name: "partners",
    template: .consecutiveFailures(5, openWait: .seconds(3600)),
    configuration: .init(maximumKeys: keyCount),
    monitors: [monitor]
)
let keys = (0..<keyCount).map { "partner-\($0).example.com" }
for (index, key) in keys.enumerated() { _ = try group.execute(key: key) { index } }

let server = MetricsServer(
    configuration: MetricsServerConfiguration(bindAddress: .loopback(port: UInt16(port))),
    logger: Logger(label: "keyed-server"),
    exposition: ExpositionSources(
        text: { monitor.emit(into: &$0) },
        openMetrics: { monitor.emitOpenMetrics(into: &$0) },
        protobuf: { monitor.emitProtobuf(into: &$0) }
    )
)
try server.start()
if let bound = server.boundAddress { print("port \(bound.port)") }
fflush(nil)  // every stream: `stdout` is a global the compiler cannot prove safe

var next = 0
while true {
    if callsPerSecond == 0 {
        sleep(3600)
        continue
    }
    // In batches of a hundredth of a second.
    let batch = max(callsPerSecond / 100, 1)
    for _ in 0..<batch {
        _ = try? group.execute(key: keys[next]) { next }
        next = (next &+ 7_919) % keyCount
    }
    usleep(10_000)
}
