// Benchmarks of groups of keyed breakers (issue 22), with its budgets:
//
// - lookup and call on an existing key of a group holding 10,000 keys, one and two threads: ≤ +25 ns over a call
//   through a plain breaker of the same configuration, 0 allocations. "Group call, existing key" against "Plain
//   call", bare and with a PrometheusMonitor; the throughput rows give the two-thread figure (each thread on its
//   own key, and both on one key, where the two threads' pins share a cache line);
// - memory per key with the Prometheus monitor at 10,000 keys ≤ 2 KiB without per-key histograms:
//   `memoryLeakedBytes` (bytes allocated and not freed in the measured region) of creating 10,000 keys, divided by
//   10,000, bare and with the monitor (the monitor's share is the difference), for the consecutive-failure
//   template and for the default one (a time window, whose striped buckets are most of a bare breaker);
// - rendering 10,000 keys: wall time and ns per sample of `emit(into:)` (text), OpenMetrics and protobuf;
// - creating a key: reported, below the cap and at the cap (each creation evicts the least recently used key);
// - eviction does not stall other keys' calls: the slowest batch of 1,000 calls on an existing key while another
//   thread creates keys at the cap (every creation an eviction), against the same with the other thread calling a
//   plain breaker instead.
//
// Run: cd Benchmarks && swift package --disable-sandbox benchmark --target GroupBenchmarks

import Benchmark
import BenchmarkSupport
import CircuitBreaker
import CircuitBreakerPrometheus
import Foundation
import Synchronization

/// The template of the benchmarks' groups and plain breakers: consecutive failures, as a per-host breaker often is.
let template = CircuitBreaker.Configuration.consecutiveFailures(5, openWait: .seconds(3600))

/// A key as a host name: longer than Swift's 15-byte small strings, as most are.
func host(_ index: Int) -> String {
    "partner-\(index).example.com"
}

/// A group holding `count` keys (created with one call each).
func makeGroup(
    keys count: Int,
    template: CircuitBreaker.Configuration = template,
    monitors: [any BreakerMonitor] = []
) throws -> BreakerGroup {
    let group = try BreakerGroup(
        name: "partners",
        template: template,
        configuration: .init(maximumKeys: count),
        monitors: monitors
    )
    for index in 0..<count { _ = try group.execute(key: host(index)) { index } }
    return group
}

/// Runs `calls` calls split evenly across `threads` threads: thread `t` runs `run(t, its share of the calls)`,
/// which makes its calls in a loop of its own (so that what a thread reads on every call, such as its key, is its
/// own copy: two threads retaining one string on every call would measure that string's reference count).
func hammer(threads: Int, calls: Int, _ run: @escaping @Sendable (_ thread: Int, _ calls: Int) -> Int) {
    let group = DispatchGroup()
    for thread in 0..<threads {
        group.enter()
        Thread.detachNewThread {
            blackHole(run(thread, calls / threads))
            group.leave()
        }
    }
    group.wait()
}

/// The slowest of the batches of 1,000 calls, in microseconds.
let slowestBatch = BenchmarkMetric.custom(
    "slowest 1,000 calls (µs)",
    polarity: .prefersSmaller,
    useScalingFactor: false
)
/// ns per sample of a render.
let nanosecondsPerSample = BenchmarkMetric.custom("ns per sample", polarity: .prefersSmaller, useScalingFactor: false)
/// Bytes of a render.
let renderedBytes = BenchmarkMetric.custom("bytes", polarity: .prefersSmaller, useScalingFactor: false)

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = callBenchmarkDefaults

    // MARK: Calls

    Benchmark("Plain call") { benchmark in
        let breaker = try CircuitBreaker(name: "plain", configuration: template)
        benchmark.startMeasurement()
        for iteration in benchmark.scaledIterations {
            blackHole(try breaker.execute { work(iteration) })
        }
    }

    Benchmark("Group call, existing key, 10,000 keys") { benchmark in
        let group = try makeGroup(keys: 10_000)
        let key = host(4_321)
        benchmark.startMeasurement()
        for iteration in benchmark.scaledIterations {
            blackHole(try group.execute(key: key) { work(iteration) })
        }
    }

    Benchmark("Plain call, PrometheusMonitor") { benchmark in
        let breaker = try CircuitBreaker(name: "plain", configuration: template, monitors: [PrometheusMonitor()])
        benchmark.startMeasurement()
        for iteration in benchmark.scaledIterations {
            blackHole(try breaker.execute { work(iteration) })
        }
    }

    Benchmark("Group call, existing key, 10,000 keys, PrometheusMonitor") { benchmark in
        let group = try makeGroup(keys: 10_000, monitors: [PrometheusMonitor()])
        let key = host(4_321)
        benchmark.startMeasurement()
        for iteration in benchmark.scaledIterations {
            blackHole(try group.execute(key: key) { work(iteration) })
        }
    }

    // Every call on another key, 10,000 in turn: the keys' breakers and slots no longer all fit the caches
    // (information, not a budget).
    Benchmark("Group call, 10,000 keys in turn") { benchmark in
        let group = try makeGroup(keys: 10_000)
        let keys = (0..<10_000).map(host)
        benchmark.startMeasurement()
        for iteration in benchmark.scaledIterations {
            blackHole(try group.execute(key: keys[iteration % 10_000]) { work(iteration) })
        }
    }

    // MARK: Two threads

    let throughput = Benchmark.Configuration(metrics: [.wallClock], scalingFactor: .one, maxIterations: 10)
    for threads in [1, 2] {
        Benchmark("Throughput: 4M calls, \(threads) thread(s), plain breaker", configuration: throughput) { _ in
            let breaker = try CircuitBreaker(name: "plain", configuration: template)
            hammer(threads: threads, calls: 4_000_000) { thread, calls in
                var sum = 0
                for index in 0..<calls { sum &+= (try? breaker.execute { work(index &+ thread) }) ?? 0 }
                return sum
            }
        }
        Benchmark(
            "Throughput: 4M calls, \(threads) thread(s), group of 10,000, a key per thread",
            configuration: throughput
        ) { _ in
            let group = try makeGroup(keys: 10_000)
            hammer(threads: threads, calls: 4_000_000) { thread, calls in
                let key = host(thread == 0 ? 1_234 : 8_765)
                var sum = 0
                for index in 0..<calls { sum &+= (try? group.execute(key: key) { work(index &+ thread) }) ?? 0 }
                return sum
            }
        }
        Benchmark(
            "Throughput: 4M calls, \(threads) thread(s), group of 10,000, one key",
            configuration: throughput
        ) { _ in
            let group = try makeGroup(keys: 10_000)
            hammer(threads: threads, calls: 4_000_000) { thread, calls in
                let key = host(1_234)  // each thread's own copy of the one key
                var sum = 0
                for index in 0..<calls { sum &+= (try? group.execute(key: key) { work(index &+ thread) }) ?? 0 }
                return sum
            }
        }
    }

    // MARK: Memory per key

    let memory = Benchmark.Configuration(
        metrics: [.memoryLeakedBytes, .mallocCountTotal, .wallClock],
        timeUnits: .milliseconds,
        scalingFactor: .one,
        maxDuration: .seconds(20),
        maxIterations: 5
    )
    for (label, configuration, monitor) in [
        ("bare", template, nil),
        ("PrometheusMonitor", template, PrometheusMonitor.Configuration.default),
        (
            "PrometheusMonitor, per-key histograms", template,
            .init(recordsDurations: true, perKeyDurationHistograms: true)
        ),
        ("default template, bare", .default, nil),
        ("default template, PrometheusMonitor", .default, .default),
    ] as [(String, CircuitBreaker.Configuration, PrometheusMonitor.Configuration?)] {
        Benchmark("Create 10,000 keys, \(label)", configuration: memory) { benchmark in
            let monitors: [any BreakerMonitor] = monitor.map { [PrometheusMonitor(configuration: $0)] } ?? []
            let group = try BreakerGroup(
                name: "partners",
                template: configuration,
                configuration: .init(maximumKeys: 10_000),
                monitors: monitors
            )
            let keys = (0..<10_000).map(host)  // the keys' strings exist before, as a request's would
            benchmark.startMeasurement()
            for key in keys { _ = try group.breaker(for: key) }
            benchmark.stopMeasurement()
            blackHole((group, keys))  // released after the measured region
        }
    }

    // MARK: Creating keys

    Benchmark("Create a key at the cap of 10,000 (evicting one)", configuration: .init(scalingFactor: .kilo)) {
        benchmark in
        let group = try makeGroup(keys: 10_000, monitors: [PrometheusMonitor()])
        let keys = (10_000..<(10_000 + benchmark.scaledIterations.count)).map(host)
        benchmark.startMeasurement()
        for index in benchmark.scaledIterations {
            _ = try group.breaker(for: keys[index])
        }
        benchmark.stopMeasurement()
        blackHole(group.evictions)
    }

    // MARK: Rendering

    let render = Benchmark.Configuration(
        metrics: [.wallClock, .mallocCountTotal, nanosecondsPerSample, renderedBytes],
        timeUnits: .milliseconds,
        scalingFactor: .one,
        maxDuration: .seconds(10),
        maxIterations: 100
    )
    for format in ["text", "OpenMetrics", "protobuf"] {
        Benchmark("Render 10,000 keys, \(format)", configuration: render) { benchmark in
            let monitor = PrometheusMonitor()
            let group = try makeGroup(keys: 10_000, monitors: [monitor])
            let emit: (inout [UInt8]) -> Void =
                switch format {
                case "text": { monitor.emit(into: &$0) }
                case "OpenMetrics": { monitor.emitOpenMetrics(into: &$0) }
                default: { monitor.emitProtobuf(into: &$0) }
                }
            var text: [UInt8] = []
            monitor.emit(into: &text)
            var samples = 0
            var lineStart = true
            for byte in text {
                if lineStart && byte != UInt8(ascii: "#") { samples += 1 }
                lineStart = byte == UInt8(ascii: "\n")
            }
            var buffer: [UInt8] = []
            emit(&buffer)  // grows the buffer once, as a server reusing it would
            let clock = ContinuousClock()
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                buffer.removeAll(keepingCapacity: true)
                let start = clock.now
                emit(&buffer)
                let elapsed = start.duration(to: clock.now)
                let nanoseconds =
                    elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000
                benchmark.measurement(nanosecondsPerSample, Int(nanoseconds) / max(samples, 1))
                benchmark.measurement(renderedBytes, buffer.count)
            }
            benchmark.stopMeasurement()
            blackHole(group)
        }
    }

    // MARK: Eviction does not stall other keys

    let stall = Benchmark.Configuration(metrics: [.wallClock, slowestBatch], scalingFactor: .one, maxIterations: 10)
    for churn in [true, false] {
        let title =
            churn
            ? "1M calls on one key while another thread creates keys at the cap"
            : "1M calls on one key while another thread calls a plain breaker"
        Benchmark(title, configuration: stall) { benchmark in
            let group = try makeGroup(keys: 10_000, monitors: [PrometheusMonitor()])
            let plain = try CircuitBreaker(name: "plain", configuration: template)
            let done = Atomic<Bool>(false)
            let other = DispatchGroup()
            other.enter()
            Thread.detachNewThread {
                var index = 10_000
                while !done.load(ordering: .relaxed) {
                    if churn {
                        _ = try? group.execute(key: host(index)) { 1 }
                    } else {
                        _ = try? plain.execute { work(index) }
                    }
                    index &+= 1
                }
                other.leave()
            }
            let key = host(42)
            let clock = ContinuousClock()
            var slowest = Duration.zero
            for batch in 0..<1_000 {
                let start = clock.now
                for call in 0..<1_000 {
                    blackHole(try group.execute(key: key) { work(batch &+ call) })
                }
                slowest = max(slowest, start.duration(to: clock.now))
            }
            done.store(true, ordering: .relaxed)
            other.wait()
            let micros = slowest.components.seconds * 1_000_000 + slowest.components.attoseconds / 1_000_000_000_000
            benchmark.measurement(slowestBatch, Int(micros))
            blackHole(group.evictions)
        }
    }
}
