// Benchmarks of the three exposition formats at 1,000 breakers (issue 13), each with the custom metrics
// `ns per series` (wall time of one emit divided by the samples or metrics it wrote) and `bytes` (its size):
//
// - text 0.0.4 with classic histograms (the render benchmarks in MonitorBenchmarks.swift), OpenMetrics with classic
//   histograms, protobuf with classic and with native histograms;
// - the protobuf exposition with native histograms serialised by swift-protobuf from its messages (decoded from
//   the hand-encoded bytes before the measured region): the least the message path would cost, building the
//   messages aside. The hand encoder is kept because it is at least twice as fast as that (see README).
//
// The ratio of the sizes (text with classic histograms over protobuf with native ones) is checked by
// scripts/bench-formats.sh against the demo.

import Benchmark
import CircuitBreaker
@_spi(Benchmarks) import CircuitBreakerPrometheus

/// Wall time of one render divided by the samples (or metrics) it holds.
let nanosecondsPerSeries = BenchmarkMetric.custom("ns per series", polarity: .prefersSmaller, useScalingFactor: false)
/// The size of one render.
let exposedBytes = BenchmarkMetric.custom("bytes", polarity: .prefersSmaller, useScalingFactor: false)

/// The measured region of a render benchmark: `emit` into `buffer` (emptied first, its capacity kept, as a server
/// reusing it would) once per iteration, recording ``nanosecondsPerSeries`` for `series` and ``exposedBytes``.
func measureRenders(
    _ benchmark: Benchmark,
    series: Int,
    into buffer: inout [UInt8],
    _ emit: (inout [UInt8]) throws -> Void
) rethrows {
    let clock = ContinuousClock()
    benchmark.startMeasurement()
    for _ in benchmark.scaledIterations {
        buffer.removeAll(keepingCapacity: true)
        let start = clock.now
        try emit(&buffer)
        let elapsed = start.duration(to: clock.now)
        blackHole(buffer)
        let nanoseconds = elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000
        benchmark.measurement(nanosecondsPerSeries, Int(nanoseconds) / max(series, 1))
        benchmark.measurement(exposedBytes, buffer.count)
    }
    benchmark.stopMeasurement()
}

func formatBenchmarks() {
    let configuration = Benchmark.Configuration(
        metrics: [.wallClock, .mallocCountTotal, nanosecondsPerSeries, exposedBytes],
        timeUnits: .microseconds,
        maxDuration: .seconds(5),
        maxIterations: 200
    )

    enum Format: String {
        case openMetrics = "OpenMetrics"
        case protobuf = "protobuf"
        case swiftProtobuf = "protobuf through swift-protobuf messages"
    }
    let cases: [(Format, PrometheusMonitor.Configuration.HistogramKind)] = [
        (.openMetrics, .classic), (.protobuf, .classic), (.protobuf, .native), (.swiftProtobuf, .native),
    ]
    for (format, histogram) in cases {
        let name = "Render \(format.rawValue), 1,000 breakers with \(histogram) duration histograms"
        Benchmark(name, configuration: configuration) { benchmark in
            let monitor = PrometheusMonitor(
                configuration: .init(recordsDurations: true, maximumBreakers: 1_000, durationHistogram: histogram)
            )
            var breakers: [CircuitBreaker] = []
            for index in 0..<1_000 {
                let breaker = try CircuitBreaker(name: "breaker-\(index)", monitors: [monitor])
                _ = try breaker.execute { index }
                breakers.append(breaker)
            }
            var buffer: [UInt8] = []
            // Samples (text) or metrics (protobuf), for ns per series: the text exposition's sample count, which
            // is the same series set (a histogram counts once per metric in protobuf, per sample in text).
            let series = monitor.emitToString().split(separator: "\n").filter { !$0.hasPrefix("#") }.count
            let emit: (inout [UInt8]) throws -> Void
            switch format {
            case .openMetrics: emit = { monitor.emitOpenMetrics(into: &$0) }
            case .protobuf: emit = { monitor.emitProtobuf(into: &$0) }
            case .swiftProtobuf:
                var exposition: [UInt8] = []
                monitor.emitProtobuf(into: &exposition)
                let messages = try SwiftProtobufSerialization(decoding: exposition)
                emit = { try messages.serialize(into: &$0) }
            }
            try emit(&buffer)  // grows the buffer once, as a server reusing it would
            try measureRenders(benchmark, series: series, into: &buffer, emit)
            blackHole(breakers)
        }
    }
}
