// Benchmarks of the breaker core. Budgets of issue 23 (the async timeout):
// - `async call: with invocation timeout`: ≤ 1.5 µs and ≤ 4 allocations per call (2.96 µs and 18 allocations when
//   each call raced the operation against a timer task). The allocations counted include the benchmark's own
//   closure, which `async call: no timeout` pays too;
// - `async call: no timeout`: unchanged by the timeout's mechanism;
// - `closed call: consecutive`: unchanged, +5 ns over `baseline: direct call` and 0 allocations.
//
// Run: cd Benchmarks && swift package --disable-sandbox benchmark --target BreakerBenchmarks

import Benchmark
import BenchmarkSupport
import CircuitBreaker
import CircuitBreakerTestKit
import Foundation

/// A call through the breaker behind an untyped `throws` boundary the optimizer cannot see through, as in an
/// application where the rejection propagates to a caller further up.
@inline(never)
func callThroughBoundary(_ breaker: CircuitBreaker, _ value: Int) throws -> Int {
    try breaker.execute { work(value) }
}

func makeBreaker(
    _ trip: TripPolicy,
    slowCallThreshold: Duration? = nil,
    monitors: [any BreakerMonitor] = []
) -> CircuitBreaker {
    // The configuration is valid by construction; a failure here is a bug in this file.
    try! CircuitBreaker(
        name: "bench",
        configuration: CircuitBreaker.Configuration(
            trip: trip,
            openWait: .fixed(.seconds(3600)),
            slowCallThreshold: slowCallThreshold
        ),
        monitors: monitors
    )
}

let consecutive = TripPolicy.consecutiveFailures(5)
let countWindow = TripPolicy.failureRatio(0.5, window: .count(100), minimumCalls: 20)
let timeWindow = TripPolicy.failureRatio(0.5, window: .time(.seconds(60)), minimumCalls: 20)

/// Runs `calls` calls split evenly across `threads` threads and waits for all of them.
func hammer(_ breaker: CircuitBreaker, threads: Int, calls: Int) {
    let group = DispatchGroup()
    for thread in 0..<threads {
        group.enter()
        Thread.detachNewThread {
            var sum = 0
            for call in 0..<(calls / threads) {
                sum &+= (try? breaker.execute { work(call &+ thread) }) ?? 0
            }
            blackHole(sum)
            group.leave()
        }
    }
    group.wait()
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = callBenchmarkDefaults

    Benchmark("baseline: direct call") { benchmark in
        for iteration in benchmark.scaledIterations {
            blackHole(work(iteration))
        }
    }

    for (name, policy) in [("consecutive", consecutive), ("count window", countWindow), ("time window", timeWindow)] {
        Benchmark("closed call: \(name)") { benchmark in
            let breaker = makeBreaker(policy)
            for iteration in benchmark.scaledIterations {
                blackHole(try breaker.execute { work(iteration) })
            }
        }
    }

    // What a scrape pays per breaker to refresh its gauges (PrometheusMonitor, MetricsMonitor, the status API).
    for (name, policy) in [("consecutive", consecutive), ("time window", timeWindow)] {
        Benchmark("snapshot: \(name)", configuration: .init(scalingFactor: .kilo)) { benchmark in
            let breaker = makeBreaker(policy)
            for _ in benchmark.scaledIterations {
                blackHole(breaker.snapshot())
            }
        }
    }

    Benchmark("closed call: consecutive + counting monitor") { benchmark in
        let breaker = makeBreaker(consecutive, monitors: [CountingMonitor()])
        for iteration in benchmark.scaledIterations {
            blackHole(try breaker.execute { work(iteration) })
        }
    }

    Benchmark("closed call: count window + counting monitor") { benchmark in
        let breaker = makeBreaker(countWindow, monitors: [CountingMonitor()])
        for iteration in benchmark.scaledIterations {
            blackHole(try breaker.execute { work(iteration) })
        }
    }

    Benchmark("closed call: durations measured (slow-call threshold)") { benchmark in
        let breaker = makeBreaker(
            .slowCallRatio(0.5, window: .count(100), minimumCalls: 20),
            slowCallThreshold: .seconds(1)
        )
        for iteration in benchmark.scaledIterations {
            blackHole(try breaker.execute { work(iteration) })
        }
    }

    Benchmark("rejection: typed throws") { benchmark in
        let open = makeBreaker(consecutive)
        for _ in 0..<5 { _ = try? open.execute { throw Failure() } }
        var rejected = 0
        for iteration in benchmark.scaledIterations {
            do {
                blackHole(try open.executeTyped { work(iteration) })
            } catch {
                rejected &+= 1
            }
        }
        blackHole(rejected)
    }

    Benchmark("rejection: fallback") { benchmark in
        let open = makeBreaker(consecutive)
        for _ in 0..<5 { _ = try? open.execute { throw Failure() } }
        for iteration in benchmark.scaledIterations {
            blackHole(try open.execute({ work(iteration) }, fallback: { _ in 0 }))
        }
    }

    Benchmark("rejection: untyped throws (error boxed)") { benchmark in
        let open = makeBreaker(consecutive)
        for _ in 0..<5 { _ = try? open.execute { throw Failure() } }
        var rejected = 0
        for iteration in benchmark.scaledIterations {
            do {
                blackHole(try open.execute { work(iteration) })
            } catch {
                rejected &+= 1
            }
        }
        blackHole(rejected)
    }

    Benchmark("rejection: untyped throws, propagated through a function boundary") { benchmark in
        let open = makeBreaker(consecutive)
        for _ in 0..<5 { _ = try? open.execute { throw Failure() } }
        var rejected = 0
        for iteration in benchmark.scaledIterations {
            do {
                blackHole(try callThroughBoundary(open, iteration))
            } catch {
                rejected &+= 1
            }
        }
        blackHole(rejected)
    }

    Benchmark(
        "async call: no timeout",
        configuration: .init(scalingFactor: .kilo)
    ) { benchmark in
        let breaker = makeBreaker(consecutive)
        for iteration in benchmark.scaledIterations {
            blackHole(try await breaker.execute { () async throws -> Int in work(iteration) })
        }
    }

    Benchmark(
        "async call: baseline (direct await)",
        configuration: .init(scalingFactor: .kilo)
    ) { benchmark in
        let operation: @Sendable (Int) async throws -> Int = { work($0) }
        for iteration in benchmark.scaledIterations {
            blackHole(try await operation(iteration))
        }
    }

    Benchmark(
        "async call: with invocation timeout",
        configuration: .init(scalingFactor: .kilo)
    ) { benchmark in
        let breaker = try! CircuitBreaker(
            name: "bench",
            configuration: CircuitBreaker.Configuration(trip: consecutive, invocationTimeout: .seconds(10))
        )
        for iteration in benchmark.scaledIterations {
            blackHole(try await breaker.execute { () async throws -> Int in work(iteration) })
        }
    }

    for (name, policy) in [("consecutive", consecutive), ("count window", countWindow), ("time window", timeWindow)] {
        for threads in [1, 2] {
            Benchmark(
                "throughput: 4M calls, \(threads) thread(s), \(name)",
                configuration: .init(metrics: [.wallClock], scalingFactor: .one, maxIterations: 10)
            ) { _ in
                hammer(makeBreaker(policy), threads: threads, calls: 4_000_000)
            }
        }
    }
}
