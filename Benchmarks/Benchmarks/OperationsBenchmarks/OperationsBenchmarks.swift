import Benchmark
import BenchmarkSupport
import CircuitBreaker
import CircuitBreakerOperations
import Foundation
import Logging

// Budgets of issue 11:
// - the status document of 1,000 breakers renders in ≤ 5 ms (`status: render 1,000 breakers`);
// - the operations monitor costs the closed-call path ≤ 1 ns with no event-stream client connected (compare
//   `closed call: no monitor` with `closed call: operations events monitor, no client`);
// - shadow mode does not slow the enforcing fast path (compare the `enforcing` and `shadow` rows; the enforcing
//   rejection is BreakerBenchmarks' `rejection: typed throws`, the same breaker and call).

let logger = Logger(label: "bench") { _ in SwiftLogNoOpLogHandler() }

func configuration(_ enforcement: Enforcement) -> CircuitBreaker.Configuration {
    var configuration = CircuitBreaker.Configuration(
        trip: .consecutiveFailures(5),
        openWait: .fixed(.seconds(3_600)),
        halfOpen: HalfOpenPolicy(trialCalls: 1)
    )
    configuration.enforcement = enforcement
    return configuration
}

func makeBreaker(_ enforcement: Enforcement = .enforcing, monitors: [any BreakerMonitor] = []) -> CircuitBreaker {
    // Valid by construction; a failure here is a bug in this file.
    try! CircuitBreaker(name: "bench", configuration: configuration(enforcement), monitors: monitors)
}

func closedCalls(_ benchmark: Benchmark, _ breaker: CircuitBreaker) throws {
    for iteration in benchmark.scaledIterations {
        blackHole(try breaker.execute { work(iteration) })
    }
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = callBenchmarkDefaults

    Benchmark("closed call: no monitor") { benchmark in
        try closedCalls(benchmark, makeBreaker())
    }

    Benchmark("closed call: operations events monitor, no client") { benchmark in
        let operations = BreakerOperations(configuration: .init(countsCalls: false), logger: logger)
        try closedCalls(benchmark, makeBreaker(monitors: operations.monitors))
    }

    Benchmark("closed call: operations events monitor, one client connected") { benchmark in
        let operations = BreakerOperations(configuration: .init(countsCalls: false), logger: logger)
        let registry = BreakerRegistry(defaultConfiguration: configuration(.enforcing), monitors: operations.monitors)
        let breaker = try registry.breaker(named: "bench")
        let client = operations.events(after: nil)
        benchmark.startMeasurement()
        try closedCalls(benchmark, breaker)
        blackHole(client)
    }

    Benchmark("closed call: operations monitors with call counting") { benchmark in
        let operations = BreakerOperations(logger: logger)
        try closedCalls(benchmark, makeBreaker(monitors: operations.monitors))
    }

    Benchmark("closed call: enforcing") { benchmark in
        try closedCalls(benchmark, makeBreaker(.enforcing))
    }

    Benchmark("closed call: shadow") { benchmark in
        try closedCalls(benchmark, makeBreaker(.shadow))
    }

    Benchmark("would-be rejection: shadow, the call runs") { benchmark in
        let open = makeBreaker(.shadow)
        for _ in 0..<5 { _ = try? open.execute { throw Failure() } }
        for iteration in benchmark.scaledIterations {
            blackHole(try open.executeTyped { work(iteration) })
        }
    }

    Benchmark(
        "status: render 1,000 breakers",
        configuration: .init(metrics: [.wallClock, .mallocCountTotal], timeUnits: .microseconds, scalingFactor: .one)
    ) { benchmark in
        let operations = BreakerOperations(logger: logger)
        let registry = BreakerRegistry(monitors: operations.monitors)
        for index in 0..<1_000 {
            let breaker = try registry.breaker(named: "dependency-\(index)")
            if index % 10 == 0 { for _ in 0..<25 { _ = try? breaker.execute { throw Failure() } } }
        }
        // The 1,000 breakers are made above; only the renders are measured.
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(operations.statusDocument(for: registry))
        }
    }

    Benchmark(
        "status page: render 1,000 breakers",
        configuration: .init(metrics: [.wallClock, .mallocCountTotal], timeUnits: .microseconds, scalingFactor: .one)
    ) { benchmark in
        let operations = BreakerOperations(logger: logger)
        let registry = BreakerRegistry(monitors: operations.monitors)
        for index in 0..<1_000 { _ = try registry.breaker(named: "dependency-\(index)") }
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(operations.statusPage(for: registry))
        }
    }
}
