// Benchmarks of incremental rendering (issue 23): a scrape re-formats only the breakers whose series changed since
// the last scrape and copies the others' bytes, rewriting their time in state. 1,000 breakers, with 10 of them
// called between two scrapes, and with all 1,000 called: in text without duration histograms (the budget's row),
// and with duration histograms in each format.
//
// - 10 changed, text: ≤ 1.5 ms per render (5.9 ms before, when every scrape refreshed and re-formatted every
//   breaker: `Render exposition, 1,000 breakers` on the code before the change);
// - 1,000 changed: no slower than before (compare with `Render exposition, 1,000 breakers` with and without
//   duration histograms, and the format benchmarks, run on the code before the change).
//
// The custom metrics time the render alone; the calls between renders are outside them (they are inside `wallClock`
// and `instructions`, which therefore include 10 or 1,000 calls of about 50 ns each): `µs per render` is its wall
// time, `CPU µs per render` the CPU time of the rendering thread, which a machine shared with builds disturbs far
// less (hardware instruction counters are not available on this machine's VM). For stable instruction counts, run
// the same scrapes under callgrind: scripts/callgrind-render.sh (valgrind reads a copy stripped of swiftc's DWARF).

import Benchmark
import CircuitBreaker
import CircuitBreakerPrometheus

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Wall time of one render, the calls made before it aside.
let microsecondsPerRender = BenchmarkMetric.custom("µs per render", polarity: .prefersSmaller, useScalingFactor: false)
/// CPU time of the rendering thread during one render.
let cpuMicrosecondsPerRender = BenchmarkMetric.custom(
    "CPU µs per render",
    polarity: .prefersSmaller,
    useScalingFactor: false
)

/// The CPU time the calling thread has used, in nanoseconds.
func threadCPUNanoseconds() -> Int {
    var time = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
    return time.tv_sec * 1_000_000_000 + time.tv_nsec
}

func incrementalRenderBenchmarks() {
    let configuration = Benchmark.Configuration(
        metrics: [.wallClock, .instructions, .mallocCountTotal, microsecondsPerRender, cpuMicrosecondsPerRender],
        timeUnits: .microseconds,
        maxDuration: .seconds(5),
        maxIterations: 200
    )

    enum Format: String, CaseIterable {
        case text = "text"
        case openMetrics = "OpenMetrics"
        case protobuf = "protobuf"
    }
    let cases: [(Format, durations: Bool)] = [(.text, false), (.text, true), (.openMetrics, true), (.protobuf, true)]
    for (format, durations) in cases {
        for changed in [10, 1_000] {
            let name =
                "Render \(format.rawValue), 1,000 breakers" + (durations ? " with duration histograms" : "")
                + ", \(changed) changed"
            Benchmark(name, configuration: configuration) { benchmark in
                let monitor = PrometheusMonitor(
                    configuration: .init(recordsDurations: durations, maximumBreakers: 1_000)
                )
                var breakers: [CircuitBreaker] = []
                for index in 0..<1_000 {
                    let breaker = try CircuitBreaker(name: "breaker-\(index)", monitors: [monitor])
                    _ = try breaker.execute { index }
                    breakers.append(breaker)
                }
                let emit: (inout [UInt8]) -> Void =
                    switch format {
                    case .text: { monitor.emit(into: &$0) }
                    case .openMetrics: { monitor.emitOpenMetrics(into: &$0) }
                    case .protobuf: { monitor.emitProtobuf(into: &$0) }
                    }
                var buffer: [UInt8] = []
                // Two scrapes before the measured one, as a running service has had: the first reads and renders
                // every breaker (straight into the response), the second reuses them and fills their caches. The
                // framework runs this closure anew for each sample (one scaled iteration each), so without the
                // second, every sample would measure the caches' first filling rather than a steady scrape.
                emit(&buffer)
                buffer.removeAll(keepingCapacity: true)
                emit(&buffer)
                let clock = ContinuousClock()
                var next = 0
                benchmark.startMeasurement()
                for _ in benchmark.scaledIterations {
                    // Different breakers each time, spread over the registry.
                    for _ in 0..<changed {
                        _ = try breakers[next].execute { next }
                        next = (next &+ 97) % breakers.count
                    }
                    buffer.removeAll(keepingCapacity: true)
                    let cpuStart = threadCPUNanoseconds()
                    let start = clock.now
                    emit(&buffer)
                    let elapsed = start.duration(to: clock.now)
                    let cpu = threadCPUNanoseconds() - cpuStart
                    blackHole(buffer)
                    let nanoseconds =
                        elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000
                    benchmark.measurement(microsecondsPerRender, Int(nanoseconds / 1_000))
                    benchmark.measurement(cpuMicrosecondsPerRender, cpu / 1_000)
                }
                benchmark.stopMeasurement()
                blackHole(breakers)
            }
        }
    }
}
