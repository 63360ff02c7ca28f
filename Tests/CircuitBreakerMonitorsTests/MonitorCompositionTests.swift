import CircuitBreakerInternals
import CircuitBreaker
import CircuitBreakerMonitors
import CircuitBreakerTestKit
import Logging
import MetricsTestKit
import Synchronization
import Testing

/// A monitor a user writes in a few lines: it only overrides what it needs.
final class OpenCounter: BreakerMonitor {
    let opened = Locked<[String]>([])

    func stateChanged(_ breaker: CircuitBreaker, transition: StateTransition) {
        if transition.to == .open { opened.withLock { $0.append(breaker.name) } }
    }
}

@Suite struct MonitorCompositionTests {
    @Test func severalMonitorsOnOneBreakerEachSeeEveryEvent() throws {
        let (logger, logs) = CapturingLogHandler.logger(level: .info)
        let metrics = TestMetrics()
        let recorder = RecordingMonitor()
        let custom = OpenCounter()
        let breaker = try CircuitBreaker(
            name: "shared",
            configuration: .consecutiveFailures(1),
            monitors: [LoggingMonitor(logger: logger), MetricsMonitor(factory: metrics), recorder, custom]
        )
        _ = try? breaker.execute { () throws -> Int in throw Boom() }
        _ = try? breaker.execute { 1 }

        #expect(logs.all.map(\.message) == ["circuit opened"])
        #expect(metrics.counterTotal(label: "circuit_breaker_calls_total") == 2)
        #expect(recorder.transitions.map(\.to) == [.open])
        #expect(custom.opened.withLock { $0 } == ["shared"])
    }

    @Test func registryMonitorsAttachToEveryBreaker() throws {
        let metrics = TestMetrics()
        let custom = OpenCounter()
        let registry = BreakerRegistry(
            defaultConfiguration: .consecutiveFailures(1),
            monitors: [MetricsMonitor(factory: metrics), custom]
        )
        for name in ["a", "b", "c"] {
            let breaker = try registry.breaker(named: name)
            _ = try? breaker.execute { () throws -> Int in throw Boom() }
        }
        #expect(custom.opened.withLock { $0 } == ["a", "b", "c"])
        for name in ["a", "b", "c"] {
            let failures = try metrics.expectCounter(
                "circuit_breaker_calls_total",
                [("breaker", name), ("outcome", "failure")]
            )
            #expect(failures.totalValue == 1)
        }
    }
}
