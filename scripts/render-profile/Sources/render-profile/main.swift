// render-profile FORMAT BREAKERS CHANGED RENDERS [durations] [keys]
//
// Registers BREAKERS breakers (or, with `keys`, one group of BREAKERS keys) with one PrometheusMonitor, calls each
// once, renders twice (as a running service has: the first scrape reads every breaker, the second fills what a
// later one reuses), then RENDERS times: CHANGED breakers (or keys) called, then one render in FORMAT (text,
// openmetrics, protobuf). Only `measuredRender` is meant to be counted: run it under
// `valgrind --tool=callgrind --toggle-collect='*measuredRender*'` and divide by RENDERS.
import CircuitBreaker
import CircuitBreakerPrometheus

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

let arguments = CommandLine.arguments
guard arguments.count >= 5, let breakerCount = Int(arguments[2]), let changed = Int(arguments[3]),
    let renders = Int(arguments[4])
else {
    print("usage: render-profile text|openmetrics|protobuf BREAKERS CHANGED RENDERS [durations] [keys]")
    exit(2)
}
let format = arguments[1]
let durations = arguments.dropFirst(5).contains("durations")
let keyed = arguments.dropFirst(5).contains("keys")

let monitor = PrometheusMonitor(
    configuration: .init(recordsDurations: durations, maximumBreakers: max(breakerCount, 1))
)
var call: (Int) throws -> Void
if keyed {
    let group = try BreakerGroup(
        name: "partners",
        template: .consecutiveFailures(5, openWait: .seconds(3600)),
        configuration: .init(maximumKeys: breakerCount),
        monitors: [monitor]
    )
    let keys = (0..<breakerCount).map { "partner-\($0).example.com" }
    call = { index in _ = try group.execute(key: keys[index]) { index } }
} else {
    var breakers: [CircuitBreaker] = []
    for index in 0..<breakerCount {
        breakers.append(try CircuitBreaker(name: "breaker-\(index)", monitors: [monitor]))
    }
    call = { index in _ = try breakers[index].execute { index } }
}
for index in 0..<breakerCount { try call(index) }

@inline(never)
func render(_ buffer: inout [UInt8]) {
    switch format {
    case "openmetrics": monitor.emitOpenMetrics(into: &buffer)
    case "protobuf": monitor.emitProtobuf(into: &buffer)
    default: monitor.emit(into: &buffer)
    }
}

@inline(never)
func measuredRender(_ buffer: inout [UInt8]) {
    render(&buffer)
}

var buffer: [UInt8] = []
render(&buffer)
buffer.removeAll(keepingCapacity: true)
render(&buffer)
var next = 0
var total = 0
for _ in 0..<renders {
    for _ in 0..<changed {
        try call(next)
        next = (next &+ 97) % breakerCount
    }
    buffer.removeAll(keepingCapacity: true)
    measuredRender(&buffer)
    total &+= buffer.count
}
print("\(format): \(renders) renders, \(buffer.count) bytes each")
