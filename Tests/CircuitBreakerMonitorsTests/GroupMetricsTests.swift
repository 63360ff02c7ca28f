import CircuitBreaker
import CircuitBreakerInternals
import CircuitBreakerMonitors
import MetricsTestKit
import Testing

@Suite struct GroupMetricsTests {
    func makeGroup(
        _ metrics: TestMetrics,
        maximumKeys: Int = 10,
        overflow: BreakerGroup.OverflowPolicy = .sharedBreaker,
        monitor: MetricsMonitor? = nil,
        clock: ManualClock = ManualClock()
    ) throws -> BreakerGroup {
        try BreakerGroup(
            name: "partners",
            template: .consecutiveFailures(2, openWait: .seconds(5)),
            configuration: .init(maximumKeys: maximumKeys, overflow: overflow),
            monitors: [monitor ?? MetricsMonitor(factory: metrics)],
            clock: .manual(clock)
        )
    }

    @Test func eachKeyReportsItsStateCallsAndTransitions() throws {
        let metrics = TestMetrics()
        let group = try makeGroup(metrics)
        _ = try group.execute(key: "a.example") { 1 }
        for _ in 0..<3 { _ = try? group.execute(key: "b.example") { () throws -> Int in throw Boom() } }
        func calls(_ key: String, _ outcome: String) throws -> Int64 {
            try metrics.expectCounter(
                "circuit_breaker_key_calls_total",
                [("breaker", "partners"), ("key", key), ("outcome", outcome)]
            ).totalValue
        }
        #expect(try calls("a.example", "success") == 1)
        #expect(try calls("b.example", "failure") == 2)
        #expect(try calls("b.example", "rejected") == 1)
        let open = try metrics.expectMeter(
            "circuit_breaker_key_state",
            [("breaker", "partners"), ("key", "b.example"), ("state", "open")]
        )
        #expect(open.lastValue == 1)
        let trips = try metrics.expectCounter(
            "circuit_breaker_key_transitions_total",
            [("breaker", "partners"), ("key", "b.example"), ("from", "closed"), ("to", "open")]
        )
        #expect(trips.totalValue == 1)
        // The overflow breaker reports without a key dimension.
        let overflowState = try metrics.expectMeter(
            "circuit_breaker_key_state",
            [("breaker", "partners"), ("state", "closed")]
        )
        #expect(overflowState.lastValue == 1)
        #expect(try metrics.expectMeter("circuit_breaker_group_keys", [("breaker", "partners")]).lastValue == 2)
        #expect(try metrics.expectMeter("circuit_breaker_group_max_keys", [("breaker", "partners")]).lastValue == 10)
        // Per key: the four transitions a breaker makes by itself, an operator's once it occurred.
        let keyA = metrics.counters(label: "circuit_breaker_key_transitions_total").filter {
            $0.dimensions.contains { $0 == ("key", "a.example") }
        }
        #expect(keyA.count == 4)
        try group.breaker(for: "a.example").forceOpen()
        let forced = try metrics.expectCounter(
            "circuit_breaker_key_transitions_total",
            [("breaker", "partners"), ("key", "a.example"), ("from", "closed"), ("to", "forced_open")]
        )
        #expect(forced.totalValue == 1)
        #expect(metrics.timers.isEmpty)
    }

    @Test func evictionsAndOverflowsAreCountedAndEvictedKeysDestroyed() throws {
        let metrics = TestMetrics()
        let group = try makeGroup(metrics, maximumKeys: 2)
        _ = try group.execute(key: "old") { 1 }
        _ = try? group.execute(key: "failing") { () throws -> Int in throw Boom() }
        _ = try group.execute(key: "new") { 1 }  // evicts "old"
        #expect(
            try metrics.expectCounter("circuit_breaker_group_evictions_total", [("breaker", "partners")]).totalValue
                == 1
        )
        #expect(
            !metrics.counters(label: "circuit_breaker_key_calls_total").contains {
                $0.dimensions.contains { $0 == ("key", "old") }
            },
            "the evicted key's metrics were destroyed"
        )
        #expect(try metrics.expectMeter("circuit_breaker_group_keys", [("breaker", "partners")]).lastValue == 2)
        _ = try? group.execute(key: "failing") { () throws -> Int in throw Boom() }  // open: not idle
        _ = try? group.execute(key: "new") { () throws -> Int in throw Boom() }  // a streak: not idle
        _ = try group.execute(key: "newer") { 1 }  // overflows into the shared breaker
        let overflow = try metrics.expectCounter(
            "circuit_breaker_group_overflow_total",
            [("breaker", "partners"), ("policy", "shared_breaker")]
        )
        #expect(overflow.totalValue == 1)
    }

    @Test func durationsArePerGroupAndPerKeyOnlyWhenAsked() throws {
        for perKey in [false, true] {
            let metrics = TestMetrics()
            let clock = ManualClock()
            let monitor = MetricsMonitor(factory: metrics, recordsDurations: true, perKeyDurations: perKey)
            let group = try makeGroup(metrics, monitor: monitor, clock: clock)
            _ = try group.execute(key: "a") { clock.advance(by: .milliseconds(7)) }
            let groupTimer = try metrics.expectTimer(
                "circuit_breaker_call_duration_seconds",
                [("breaker", "partners"), ("outcome", "success")]
            )
            #expect(groupTimer.values == [7_000_000])
            let keyTimers = metrics.timers.filter { $0.label == "circuit_breaker_key_call_duration_seconds" }
            #expect(keyTimers.count == (perKey ? 8 : 0), "4 outcomes for the key and for the overflow breaker")
            if perKey {
                let keyTimer = try metrics.expectTimer(
                    "circuit_breaker_key_call_duration_seconds",
                    [("breaker", "partners"), ("key", "a"), ("outcome", "success")]
                )
                #expect(keyTimer.values == [7_000_000])
            }
        }
    }

    @Test func refreshSettlesOpenKeysWhoseWaitElapsed() throws {
        let metrics = TestMetrics()
        let clock = ManualClock()
        let monitor = MetricsMonitor(factory: metrics)
        let group = try makeGroup(metrics, monitor: monitor, clock: clock)
        for _ in 0..<2 { _ = try? group.execute(key: "a") { () throws -> Int in throw Boom() } }
        clock.advance(by: .seconds(6))
        monitor.refresh()
        let halfOpen = try metrics.expectMeter(
            "circuit_breaker_key_state",
            [("breaker", "partners"), ("key", "a"), ("state", "half_open")]
        )
        #expect(halfOpen.lastValue == 1)
    }

    /// The swift-metrics monitor reports every key and group family of the metric contract under its name.
    @Test func reportsTheContractsNames() throws {
        let metrics = TestMetrics()
        let monitor = MetricsMonitor(factory: metrics, recordsDurations: true, perKeyDurations: true)
        let group = try makeGroup(metrics, monitor: monitor)
        _ = try group.execute(key: "a") { 1 }
        let reported = Set(
            metrics.counters.map(\.label) + metrics.meters.map(\.label) + metrics.timers.map(\.label)
        )
        let expected = MetricContract.families.filter { family in
            family.scopes.contains(.key) || family.scopes.contains(.group)
        }.map(\.name)
        #expect(Set(expected).isSubset(of: reported), "missing: \(Set(expected).subtracting(reported))")
    }
}
