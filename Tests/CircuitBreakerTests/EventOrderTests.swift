import CircuitBreaker
import CircuitBreakerInternals
import Foundation
import Testing

/// Breaker-level events reach the monitors once, in generation order, and never under the breaker's lock: the
/// interleaving spin found in the protocol before the outbox (Verification/admission.pml with
/// -DREPORT_AFTER_UNLOCK), played on the real breaker.
@Suite struct EventOrderTests {
    /// Records each transition when its callback returns, and holds the first one until released.
    final class HoldingMonitor: BreakerMonitor {
        let entered = DispatchSemaphoreLike()
        let release = DispatchSemaphoreLike()
        let heardTwo = DispatchSemaphoreLike()
        private let heard = Locked([UInt64]())
        private let holding = Locked(true)

        var generations: [UInt64] { heard.withLock { $0 } }
        var observesCalls: Bool { false }

        func stateChanged(_ breaker: CircuitBreaker, transition: StateTransition) {
            let hold = holding.withLock { holding in
                defer { holding = false }
                return holding
            }
            if hold {
                entered.signal()
                release.wait()
            }
            let count = heard.withLock { heard in
                heard.append(transition.generation)
                return heard.count
            }
            if count == 2 { heardTwo.signal() }
        }
    }

    @Test func aTransitionMadeWhileAnotherIsDeliveredWaitsForItsTurn() throws {
        let clock = ManualClock()
        let monitor = HoldingMonitor()
        let breaker = try CircuitBreaker(
            name: "ordered",
            configuration: .testConsecutive(1, wait: .seconds(10)),
            monitors: [monitor],
            clock: .manual(clock)
        )
        // A caller trips the breaker (generation 2) and is held inside the monitor, delivering it.
        let caller = Thread { _ = try? breaker.execute { throw DependencyDown() } }
        caller.start()
        monitor.entered.wait()
        // Meanwhile the wait elapses and a read makes the next transition (generation 3). It must neither block on
        // the delivery in progress nor overtake it.
        clock.advance(by: .seconds(10))
        #expect(breaker.state == .halfOpen)
        #expect(monitor.generations.isEmpty, "generation 3 waits until generation 2 has been delivered")
        monitor.release.signal()
        monitor.heardTwo.wait()
        #expect(monitor.generations == [2, 3], "the deliverer delivers what was queued meanwhile, in order")
    }

    /// A monitor that reads and acts on the breaker from inside a callback neither deadlocks nor reorders.
    @Test func aMonitorMayCallBackIntoTheBreaker() throws {
        final class ReentrantMonitor: BreakerMonitor {
            let log = Locked([String]())
            var observesCalls: Bool { false }
            func stateChanged(_ breaker: CircuitBreaker, transition: StateTransition) {
                log.withLock { $0.append("\(transition.from)→\(transition.to) #\(transition.generation)") }
                if transition.to == .open { breaker.reset() }
                _ = breaker.state
            }
            func breakerReset(_ breaker: CircuitBreaker) { log.withLock { $0.append("reset") } }
        }
        let monitor = ReentrantMonitor()
        let breaker = try CircuitBreaker(
            name: "reentrant",
            configuration: .testConsecutive(1),
            monitors: [monitor],
            clock: .manual(ManualClock())
        )
        _ = try? breaker.execute { throw DependencyDown() }
        #expect(breaker.state == .closed)
        #expect(monitor.log.withLock { $0 } == ["closed→open #2", "open→closed #3", "reset"])
    }
}
