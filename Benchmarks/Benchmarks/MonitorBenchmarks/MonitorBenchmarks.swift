// Benchmarks of the monitors' costs, with the budgets of issue 3 as thresholds:
//
// - a closed-state call with a PrometheusMonitor attached: ≤ 25 ns over the bare breaker without durations,
//   ≤ 60 ns over it in all with the duration histogram (the breaker's two clock reads included), 0 allocations;
// - rendering the exposition: ≤ 100 ns per series emitted, at 100 and at 1,000 breakers. A breaker with the
//   default (failure-ratio) policy has 32 series (5 states, 5 call outcomes, 15 transitions, 2 fallback results,
//   slow calls, 2 ratios, threshold, timestamp); the registry adds 1 (rejected registrations). So 100 breakers
//   render 3,201 series and 1,000 render 32,001; with duration histograms (11 buckets) each breaker adds 4 × 14 =
//   56 samples, so 1,000 breakers render 88,001. Rendering includes the refresh of every breaker's gauges from its
//   snapshot. The custom metric `ns per series` is the wall time of one `emit(into:)` divided by the number of
//   samples it wrote (counted from the output, so it cannot drift from the layout);
// - memory per registered breaker with its series: < 8 KiB, measured as `memoryLeakedBytes` (shown as "Malloc /
//   free Δ (bytes)": bytes allocated and not freed inside the measured region) of registering 1,000 breakers,
//   divided by 1,000. The bare breakers are measured too, so the monitor's share is the difference;
// - registering 1,000 breakers: milliseconds (wall clock of the same benchmarks), O(1) per breaker.
//
// Issue 13 (see FormatBenchmarks.swift for the formats): a native duration histogram costs no more per call than
// the classic one (the closed call, and `Record a duration of 1 ms to 2 s`, which calls the monitor directly with
// durations that exercise the classic bounds and the native index); the exemplar check costs a call outside a trace one task-local read (the classic histogram with
// exemplars on, the default, against `exemplarTraceIDs: .none`); memory per breaker stays under 8 KiB with either
// histogram, and with the exemplar slots a traced call allocates.
//
// Run: cd Benchmarks && swift package --disable-sandbox benchmark --target MonitorBenchmarks

import Benchmark
import Foundation
import CircuitBreaker
import CircuitBreakerPrometheus
import Instrumentation

private struct Failure: Error {}

/// Does nothing but ask for durations: the baseline that isolates the breaker's two clock reads from the cost of
/// the histogram.
private struct DurationsOnly: BreakerMonitor {
    var wantsDurations: Bool { true }
}

let benchmarks: @Sendable () -> Void = {
    let callConfiguration = Benchmark.Configuration(
        metrics: [.wallClock, .mallocCountTotal, .instructions],
        timeUnits: .nanoseconds,
        scalingFactor: .mega,
        maxDuration: .seconds(5),
        maxIterations: 50
    )

    // MARK: The closed-state call

    Benchmark("Closed call, bare breaker", configuration: callConfiguration) { benchmark in
        let breaker = try CircuitBreaker(name: "bare")
        benchmark.startMeasurement()
        for index in benchmark.scaledIterations {
            blackHole(try breaker.execute { index })
        }
    }

    /// A closed-state call through a breaker with a `PrometheusMonitor` of `configuration`, inside a traced task
    /// (whose trace id the monitor's source reads) if `traced`.
    func monitoredCall(_ name: String, _ configuration: PrometheusMonitor.Configuration, traced: Bool = false) {
        let title = "Closed call\(traced ? " inside a trace" : ""), PrometheusMonitor\(name)"
        Benchmark(title, configuration: callConfiguration) { benchmark in
            let monitor = PrometheusMonitor(configuration: configuration)
            let breaker = try CircuitBreaker(name: "monitored", monitors: [monitor])
            var context = ServiceContext.topLevel
            if traced { context[TraceID.self] = "4bf92f3577b34da6a3ce929d0e0e4736" }
            try ServiceContext.withValue(traced ? context : nil) {
                benchmark.startMeasurement()
                for index in benchmark.scaledIterations {
                    blackHole(try breaker.execute { index })
                }
                benchmark.stopMeasurement()
            }
            blackHole(monitor)
        }
    }

    monitoredCall("", .default)

    Benchmark("Closed call, no-op monitor measuring durations", configuration: callConfiguration) { benchmark in
        let breaker = try CircuitBreaker(name: "clocked", monitors: [DurationsOnly()])
        benchmark.startMeasurement()
        for index in benchmark.scaledIterations {
            blackHole(try breaker.execute { index })
        }
    }

    monitoredCall(" with duration histogram", .init(recordsDurations: true))
    monitoredCall(" with duration histogram, exemplars off", .init(recordsDurations: true, exemplarTraceIDs: .none))
    monitoredCall(" with native duration histogram", .init(recordsDurations: true, durationHistogram: .native))
    monitoredCall(
        " with duration histogram",
        .init(recordsDurations: true, exemplarTraceIDs: .custom("benchmark") { $0[TraceID.self] }),
        traced: true
    )

    // Recording alone, with durations spread from 1 ms to 2 s (where the classic histogram compares against several
    // bounds and the native one computes an index): the monitor a breaker would call, called directly.
    for (label, histogram, exemplars) in [
        ("classic", .classic, .none), ("native", .native, .none), ("classic", .classic, .propagated),
        ("native", .native, .propagated),
    ] as [(String, PrometheusMonitor.Configuration.HistogramKind, PrometheusMonitor.TraceIDSource)] {
        let suffix = exemplars == .none ? "" : ", exemplar check"
        Benchmark("Record a duration of 1 ms to 2 s, \(label) histogram\(suffix)", configuration: callConfiguration) {
            benchmark in
            let monitor = PrometheusMonitor(
                configuration: .init(recordsDurations: true, durationHistogram: histogram, exemplarTraceIDs: exemplars)
            )
            let breaker = try CircuitBreaker(name: "recorded")
            let recorder = try monitor.bind(to: BreakerDescription(name: "recorded", configuration: .default))
            // 64 durations, geometrically spaced.
            let durations = (0..<64).map { Duration.nanoseconds(Int64(1e6 * pow(2_000, Double($0) / 63))) }
            benchmark.startMeasurement()
            for index in benchmark.scaledIterations {
                recorder.callSucceeded(breaker, duration: durations[index & 63])
            }
            benchmark.stopMeasurement()
            blackHole(monitor)
        }
    }

    Benchmark("Closed call failing, PrometheusMonitor", configuration: callConfiguration) { benchmark in
        let monitor = PrometheusMonitor()
        let configuration = CircuitBreaker.Configuration(
            trip: .failureRatio(1.0, window: .count(100), minimumCalls: 100)
        )
        let breaker = try CircuitBreaker(name: "failing", configuration: configuration, monitors: [monitor])
        benchmark.startMeasurement()
        for index in benchmark.scaledIterations {
            // Every other call fails: the ratio stays at 0.5, under the threshold of 1.0.
            blackHole(
                try? breaker.execute { () throws -> Int in if index & 1 == 0 { throw Failure() } else { return index } }
            )
        }
        benchmark.stopMeasurement()
        blackHole(monitor)
    }

    // MARK: Rendering

    for (count, durations) in [(100, false), (1_000, false), (100, true), (1_000, true)] {
        let name = "Render exposition, \(count) breakers" + (durations ? " with duration histograms" : "")
        Benchmark(
            name,
            configuration: .init(
                metrics: [.wallClock, .mallocCountTotal, .instructions, nanosecondsPerSeries, exposedBytes],
                timeUnits: .microseconds,
                maxDuration: .seconds(5),
                maxIterations: 200
            )
        ) { benchmark in
            let monitor = PrometheusMonitor(
                configuration: .init(recordsDurations: durations, maximumBreakers: count)
            )
            var breakers: [CircuitBreaker] = []
            for index in 0..<count {
                let breaker = try CircuitBreaker(name: "breaker-\(index)", monitors: [monitor])
                _ = try breaker.execute { index }
                breakers.append(breaker)
            }
            var buffer: [UInt8] = []
            monitor.emit(into: &buffer)  // grows the buffer once, as a server reusing it would
            // Samples: every line that is not a comment.
            var series = 0
            var lineStart = true
            for byte in buffer {
                if lineStart && byte != UInt8(ascii: "#") { series += 1 }
                lineStart = byte == UInt8(ascii: "\n")
            }
            measureRenders(benchmark, series: series, into: &buffer) { monitor.emit(into: &$0) }
            blackHole(breakers)
        }
    }

    // MARK: Memory per registered breaker

    let memoryConfiguration = Benchmark.Configuration(
        metrics: [.memoryLeakedBytes, .mallocFreeDelta, .mallocCountTotal, .wallClock],
        timeUnits: .milliseconds,
        maxDuration: .seconds(10),
        maxIterations: 5
    )

    Benchmark("Register 1,000 bare breakers", configuration: memoryConfiguration) { benchmark in
        var breakers: [CircuitBreaker] = []
        breakers.reserveCapacity(1_000)
        benchmark.startMeasurement()
        for index in 0..<1_000 {
            breakers.append(try CircuitBreaker(name: "breaker-\(index)"))
        }
        benchmark.stopMeasurement()
        blackHole(breakers)  // released after the measured region
    }

    Benchmark("Register 1,000 breakers with PrometheusMonitor", configuration: memoryConfiguration) { benchmark in
        var breakers: [CircuitBreaker] = []
        breakers.reserveCapacity(1_000)
        benchmark.startMeasurement()
        let monitor = PrometheusMonitor()
        for index in 0..<1_000 {
            breakers.append(try CircuitBreaker(name: "breaker-\(index)", monitors: [monitor]))
        }
        benchmark.stopMeasurement()
        blackHole((breakers, monitor))  // released after the measured region
    }

    for (label, histogram) in [("duration histograms", .classic), ("native duration histograms", .native)]
        as [(String, PrometheusMonitor.Configuration.HistogramKind)]
    {
        Benchmark("Register 1,000 breakers with PrometheusMonitor and \(label)", configuration: memoryConfiguration) {
            benchmark in
            var breakers: [CircuitBreaker] = []
            breakers.reserveCapacity(1_000)
            benchmark.startMeasurement()
            let monitor = PrometheusMonitor(configuration: .init(recordsDurations: true, durationHistogram: histogram))
            for index in 0..<1_000 {
                breakers.append(try CircuitBreaker(name: "breaker-\(index)", monitors: [monitor]))
            }
            benchmark.stopMeasurement()
            blackHole((breakers, monitor))  // released after the measured region
        }

        // The worst case: every breaker has made a traced call, which allocates its exemplar slots.
        Benchmark(
            "Register 1,000 breakers with PrometheusMonitor, \(label) and a traced call each",
            configuration: memoryConfiguration
        ) { benchmark in
            var breakers: [CircuitBreaker] = []
            breakers.reserveCapacity(1_000)
            var context = ServiceContext.topLevel
            context[TraceID.self] = "4bf92f3577b34da6a3ce929d0e0e4736"
            benchmark.startMeasurement()
            let monitor = PrometheusMonitor(
                configuration: .init(
                    recordsDurations: true,
                    durationHistogram: histogram,
                    exemplarTraceIDs: .custom("benchmark") { $0[TraceID.self] }
                )
            )
            for index in 0..<1_000 {
                let breaker = try CircuitBreaker(name: "breaker-\(index)", monitors: [monitor])
                _ = try ServiceContext.withValue(context) { try breaker.execute { index } }
                breakers.append(breaker)
            }
            benchmark.stopMeasurement()
            blackHole((breakers, monitor))  // released after the measured region
        }
    }

    formatBenchmarks()
    incrementalRenderBenchmarks()
}

/// The trace id the traced benchmarks run under.
enum TraceID: ServiceContextKey {
    typealias Value = String
}
