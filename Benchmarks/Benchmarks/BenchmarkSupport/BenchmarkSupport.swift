import Benchmark

// What the call benchmarks of BreakerBenchmarks and OperationsBenchmarks share, so that their rows compare like for
// like (OperationsBenchmarks' shadow and monitor rows are read against BreakerBenchmarks' ones).

/// The protected operation: opaque to the optimizer, so the breaker's cost is measured around a real call.
@inline(never)
public func work(_ value: Int) -> Int {
    value &+ 1
}

/// The error a failing protected operation throws.
public struct Failure: Error {
    /// A failure.
    public init() {}
}

/// Per-call measurements: a million calls per iteration, up to 20 iterations or 2 s.
public var callBenchmarkDefaults: Benchmark.Configuration {
    .init(
        metrics: [.wallClock, .mallocCountTotal, .instructions],
        timeUnits: .nanoseconds,
        warmupIterations: 3,
        scalingFactor: .mega,
        maxDuration: .seconds(2),
        maxIterations: 20
    )
}
