// The Hummingbird + swift-prometheus peer of scripts/bench-peers.sh: N breakers (the first three called at a steady
// rate, one of them failing in turn, the rest idle, as in the demo's load tests) report through `MetricsMonitor`
// into swift-prometheus's `PrometheusMetricsFactory`; GET /metrics refreshes the monitor and renders the registry
// in text 0.0.4 on Hummingbird's router. This is how a Swift service exposes breakers without our exporter.
//
// Usage: hummingbird-peer --port N [--breakers N] [--duration SECONDS]
import CircuitBreaker
import CircuitBreakerMonitors
import CoreMetrics
import Foundation
import Hummingbird
import Prometheus

struct DependencyDown: Error {}

func value(after flag: String, _ arguments: inout IndexingIterator<ArraySlice<String>>) -> Int {
    guard let text = arguments.next(), let number = Int(text), number >= 0 else {
        FileHandle.standardError.write(Data("\(flag) takes a non-negative number\n".utf8))
        exit(2)
    }
    return number
}

var port = 8080
var breakerCount = 10
var duration = 600
var arguments = CommandLine.arguments.dropFirst().makeIterator()
while let argument = arguments.next() {
    switch argument {
    case "--port": port = value(after: argument, &arguments)
    case "--breakers": breakerCount = max(3, value(after: argument, &arguments))
    case "--duration": duration = value(after: argument, &arguments)
    default:
        FileHandle.standardError.write(Data("unknown argument \(argument)\n".utf8))
        exit(2)
    }
}

let prometheus = PrometheusCollectorRegistry()
let monitor = MetricsMonitor(factory: PrometheusMetricsFactory(registry: prometheus), recordsDurations: true)
let registry = BreakerRegistry(monitors: [monitor])
let breakers = try (0..<breakerCount).map { index in try registry.breaker(named: "peer-\(index)") }

// A steady trickle of calls on the first three breakers, every fifth call of the third failing.
let traffic = Task {
    var turn = 0
    while !Task.isCancelled {
        let breaker = breakers[turn % 3]
        let failing = turn % 3 == 2 && turn % 5 == 0
        _ = try? breaker.execute { () throws -> Int in
            if failing { throw DependencyDown() }
            return turn
        }
        turn &+= 1
        try? await Task.sleep(for: .milliseconds(200))
    }
}

let router = Router()
router.get("/metrics") { _, _ -> Response in
    monitor.refresh()
    var bytes: [UInt8] = []
    prometheus.emit(into: &bytes)
    return Response(
        status: .ok,
        headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
        body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes))
    )
}
router.get("/-/healthy") { _, _ in "ok\n" }

let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)))
// Bounded: the peer stops by itself after `duration` seconds, whatever its driver does.
let stopper = Task {
    try await Task.sleep(for: .seconds(duration))
    exit(0)
}
try await app.runService()
traffic.cancel()
stopper.cancel()
