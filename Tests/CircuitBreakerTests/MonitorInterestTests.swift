import CircuitBreaker
import CircuitBreakerInternals
import CircuitBreakerTestKit
import Testing

/// A monitor that follows state changes only, and counts every event it receives.
private final class TransitionsOnly: BreakerMonitor {
    let events = Locked<[String]>([])
    var observesCalls: Bool { false }
    func callSucceeded(_ breaker: CircuitBreaker, duration: Duration?) { events.withLock { $0.append("call") } }
    func callFailed(_ breaker: CircuitBreaker, error: any Error, duration: Duration?) {
        events.withLock { $0.append("call") }
    }
    func callRejected(_ breaker: CircuitBreaker, state: CircuitState) { events.withLock { $0.append("call") } }
    func stateChanged(_ breaker: CircuitBreaker, transition: StateTransition) {
        events.withLock { $0.append("\(transition.to)") }
    }
}

@Suite struct MonitorInterestTests {
    @Test func aMonitorThatDoesNotObserveCallsGetsOnlyStateEvents() throws {
        let transitionsOnly = TransitionsOnly()
        let recorder = RecordingMonitor()
        let clock = ManualClock()
        let breaker = try CircuitBreaker(
            name: "quiet",
            configuration: .consecutiveFailures(1, openWait: .seconds(1)),
            monitors: [transitionsOnly, recorder],
            clock: .manual(clock)
        )
        _ = try breaker.execute { 1 }
        _ = try? breaker.execute { () throws -> Int in throw DependencyDown() }
        _ = try? breaker.execute { 1 }
        #expect(transitionsOnly.events.withLock { $0 } == ["open"])
        #expect(recorder.count("succeeded") == 1 && recorder.count("failed") == 1 && recorder.count("rejected") == 1)
    }
}
