import CircuitBreaker
import CircuitBreakerPrometheus
import Prometheus

/// A monitor with every kind of series to check the three formats against: the hostile breaker names of
/// ``ExpositionValidityTests``, calls of every outcome with known durations (3 ms, 40 ms, 900 ms), traced calls (so
/// exemplars exist), forced transitions, and service metrics of each type in the registry with hostile labels and
/// help texts.
struct ExpositionFixture {
    let registry = PrometheusCollectorRegistry()
    let monitor: PrometheusMonitor
    let clock = ManualClock(wallClockOrigin: 1_700_000_000.25)
    var breakers: [CircuitBreaker] = []

    init(
        histogram: PrometheusMonitor.Configuration.HistogramKind,
        names: [String] = ExpositionValidityTests.hostileNames,
        serviceMetrics: Bool = true
    ) throws {
        monitor = PrometheusMonitor(
            registry: registry,
            configuration: .init(
                recordsDurations: true,
                durationHistogram: histogram,
                exemplarTraceIDs: TestTraceID.source
            )
        )
        if serviceMetrics { Self.registerServiceMetrics(in: registry) }
        let clock = clock
        for (index, name) in names.enumerated() {
            let configuration: CircuitBreaker.Configuration =
                index.isMultiple(of: 2) ? .consecutiveFailures(1, openWait: .seconds(1)) : .default
            let breaker = try CircuitBreaker(
                name: name,
                configuration: configuration,
                monitors: [monitor],
                clock: .manual(clock)
            )
            _ = try traced("4bf92f3577b34da6a3ce929d0e0e4" + String(100 + index)) {
                try breaker.execute { clock.advance(by: .milliseconds(3)) }
            }
            _ = try breaker.execute { clock.advance(by: .milliseconds(40)) }
            _ = try? traced(#"odd "id"\#(index)"#) {
                try breaker.execute { () throws -> Int in
                    clock.advance(by: .milliseconds(900))
                    throw TestFailure()
                }
            }
            _ = try? breaker.execute { 1 }
            if index.isMultiple(of: 3) { breaker.forceOpen() }
            breakers.append(breaker)
        }
    }

    /// The service's own metrics, one family of each type, with hostile labels and help texts.
    private static func registerServiceMetrics(in registry: PrometheusCollectorRegistry) {
        func descriptor(_ name: String, _ help: String) -> MetricNameDescriptor {
            MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
        }
        let requests = registry.makeCounter(
            descriptor: descriptor("app_requests_total", #"Requests "served", with a \ backslash."#),
            labels: [("path", #"/a"b\c"#), ("method", "GET\nPOST")]
        )
        requests.increment(by: Int64(7))
        registry.makeCounter(descriptor: descriptor("app_retries", "A counter registered without _total.")).increment()
        registry.makeGauge(descriptor: descriptor("app_temperature_celsius", "")).set(-3.5)
        let latency = registry.makeDurationHistogram(
            descriptor: descriptor("app_latency_seconds", "Latency."),
            labels: [("route", "ünïcödé")],
            buckets: [.milliseconds(10), .seconds(1)]
        )
        latency.recordNanoseconds(5_000_000)
        latency.recordNanoseconds(2_000_000_000)
    }
}
