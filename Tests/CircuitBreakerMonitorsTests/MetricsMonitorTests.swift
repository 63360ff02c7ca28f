import CircuitBreaker
import CircuitBreakerMonitors
import MetricsTestKit
import Testing

@Suite struct MetricsMonitorTests {
    @Test func countsCallsAndTransitionsWithDimensions() throws {
        let metrics = TestMetrics()
        let clock = ManualClock(wallClockOrigin: 1_700_000_000)
        let breaker = try CircuitBreaker(
            name: "payments",
            configuration: .consecutiveFailures(2, openWait: .seconds(5)),
            monitors: [MetricsMonitor(factory: metrics)],
            clock: .manual(clock)
        )
        _ = try breaker.execute { 1 }
        clock.advance(by: .seconds(1))
        for _ in 0..<2 { _ = try? breaker.execute { () throws -> Int in throw Boom() } }
        _ = try? breaker.execute { 1 }
        _ = try breaker.execute({ 1 }, fallback: { _ in 2 })

        func calls(_ outcome: String) throws -> Int64 {
            try metrics.expectCounter("circuit_breaker_calls_total", [("breaker", "payments"), ("outcome", outcome)])
                .totalValue
        }
        #expect(try calls("success") == 1)
        #expect(try calls("failure") == 2)
        #expect(try calls("rejected") == 2)
        #expect(try calls("timeout") == 0)
        #expect(try calls("ignored") == 0)
        let fallbacks = try metrics.expectCounter(
            "circuit_breaker_fallbacks_total",
            [("breaker", "payments"), ("result", "success")]
        )
        #expect(fallbacks.totalValue == 1)
        let opened = try metrics.expectCounter(
            "circuit_breaker_transitions_total",
            [("breaker", "payments"), ("from", "closed"), ("to", "open")]
        )
        #expect(opened.totalValue == 1)
        #expect(metrics.counters(label: "circuit_breaker_transitions_total").count == 15)
        let open = try metrics.expectMeter("circuit_breaker_state", [("breaker", "payments"), ("state", "open")])
        let closed = try metrics.expectMeter("circuit_breaker_state", [("breaker", "payments"), ("state", "closed")])
        #expect(open.lastValue == 1)
        #expect(closed.lastValue == 0)
        let timestamp = try metrics.expectMeter(
            "circuit_breaker_state_change_timestamp_seconds",
            [("breaker", "payments")]
        )
        #expect(timestamp.lastValue == 1_700_000_001)
        #expect(metrics.meters(label: "circuit_breaker_failure_ratio_threshold").isEmpty)
        #expect(metrics.timers.isEmpty)
    }

    @Test func timesCallsWhenAsked() throws {
        let metrics = TestMetrics()
        let clock = ManualClock()
        let monitor = MetricsMonitor(factory: metrics, recordsDurations: true)
        #expect(monitor.wantsDurations)
        let breaker = try CircuitBreaker(name: "timed", monitors: [monitor], clock: .manual(clock))
        _ = try breaker.execute { clock.advance(by: .milliseconds(12)) }
        let timer = try metrics.expectTimer(
            "circuit_breaker_call_duration_seconds",
            [("breaker", "timed"), ("outcome", "success")]
        )
        #expect(timer.values == [12_000_000])
        let threshold = try metrics.expectMeter("circuit_breaker_failure_ratio_threshold", [("breaker", "timed")])
        #expect(threshold.lastValue == 0.5)
    }

    @Test func refreshUpdatesRatios() throws {
        let metrics = TestMetrics()
        let monitor = MetricsMonitor(factory: metrics)
        let configuration = CircuitBreaker.Configuration(trip: .failureRatio(0.9, window: .count(4), minimumCalls: 2))
        let breaker = try CircuitBreaker(name: "ratio", configuration: configuration, monitors: [monitor])
        _ = try breaker.execute { 1 }
        _ = try? breaker.execute { () throws -> Int in throw Boom() }
        let ratio = try metrics.expectMeter("circuit_breaker_failure_ratio", [("breaker", "ratio")])
        #expect(ratio.lastValue == 0)
        monitor.refresh()
        #expect(ratio.lastValue == 0.5)
    }

    @Test func removalDestroysTheBreakersMetrics() throws {
        let metrics = TestMetrics()
        let registry = BreakerRegistry(monitors: [MetricsMonitor(factory: metrics)])
        _ = try registry.breaker(named: "gone")
        _ = try registry.breaker(named: "kept")
        #expect(metrics.counters(label: "circuit_breaker_calls_total").count == 10)
        registry.remove(named: "gone")
        #expect(metrics.counters(label: "circuit_breaker_calls_total").count == 5)
        #expect(
            metrics.meters(label: "circuit_breaker_state").allSatisfy {
                $0.dimensions.contains { $0 == ("breaker", "kept") }
            }
        )
    }
}

@Suite struct MetricsMonitorTimeInStateTests {
    @Test func stateSecondsGrowByTheTimeSinceTheLastRefresh() throws {
        let metrics = TestMetrics()
        let clock = ManualClock()
        let monitor = MetricsMonitor(factory: metrics)
        let breaker = try CircuitBreaker(
            name: "payments",
            configuration: .consecutiveFailures(1, openWait: .seconds(30)),
            monitors: [monitor],
            clock: .manual(clock)
        )
        clock.advance(by: .seconds(12))
        _ = try? breaker.execute { () throws -> Int in throw Boom() }
        clock.advance(by: .seconds(3))
        monitor.refresh()
        monitor.refresh()
        #expect(metrics.counters(label: "circuit_breaker_state_seconds_total").count == 5)
        // TestMetrics backs floating-point counters with integer ones (swift-metrics' default): whole seconds here.
        func seconds(_ state: String) throws -> Int64 {
            try metrics.expectCounter("circuit_breaker_state_seconds_total", [("breaker", "payments"), ("state", state)])
                .totalValue
        }
        #expect(try seconds("closed") == 12)
        #expect(try seconds("open") == 3, "a second refresh at the same time adds nothing")
        #expect(try seconds("half_open") == 0)
        clock.advance(by: .seconds(30))
        monitor.refresh()
        #expect(try seconds("open") == 30)
        #expect(try seconds("half_open") == 3, "the refresh read the idle breaker as half-open")
    }
}
