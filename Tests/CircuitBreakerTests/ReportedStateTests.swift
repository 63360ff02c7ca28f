import CircuitBreaker
import CircuitBreakerTestKit
import Testing

/// The reported state is the state the next call would meet, whether or not a call arrives.
@Suite struct ReportedStateTests {
    @Test func anIdleOpenBreakerReadsHalfOpenOnceItsWaitHasElapsed() throws {
        let h = try Harness(.testConsecutive(1, wait: .seconds(10)))
        h.fail()
        h.clock.advance(by: .seconds(9))
        #expect(h.breaker.state == .open)
        #expect(h.breaker.snapshot().retryAfter == .seconds(1))
        h.clock.advance(by: .seconds(1))
        let snapshot = h.breaker.snapshot()
        #expect(snapshot.state == .halfOpen)
        #expect(snapshot.retryAfter == nil)
        #expect(snapshot.lastTransition?.reason == .openWaitElapsed)
        #expect(h.breaker.state == .halfOpen)
        // One move, reported once, in generation order, although three reads saw it.
        let transitions = h.recorder.transitions
        #expect(transitions.map(\.to) == [.open, .halfOpen])
        #expect(transitions.map(\.generation) == [2, 3])
        #expect(h.breaker.generation == 3)
        // The read admitted no trial: the next call is the probe, and its success closes the breaker.
        #expect(h.succeed())
        #expect(h.breaker.state == .closed)
        #expect(h.recorder.transitions.map(\.reason) == [.consecutiveFailures, .openWaitElapsed, .trialsSucceeded])
    }

    @Test func trialsThatOverranTheHalfOpenDeadlineReadOpen() throws {
        var configuration = CircuitBreaker.Configuration.testConsecutive(1, wait: .seconds(10), trials: 1)
        configuration.halfOpen.maximumDuration = .seconds(5)
        let h = try Harness(configuration)
        h.fail()
        h.clock.advance(by: .seconds(10))
        // A probe that never returns takes the only trial slot.
        let probes = ProbeHolder()
        #expect(probes.begin(on: h.breaker))
        h.clock.advance(by: .seconds(4))
        #expect(h.breaker.state == .halfOpen, "the probe still has time")
        h.clock.advance(by: .seconds(1))
        #expect(h.breaker.state == .open, "the next call would find the deadline passed and reopen")
        #expect(h.recorder.transitions.last?.reason == .halfOpenDeadlineExceeded)
        #expect(h.breaker.snapshot().consecutiveReopens == 1)
        probes.finishAll(success: true)
        #expect(h.breaker.state == .open, "the late probe belongs to an earlier period")
    }

    @Test func anIdleHalfOpenBreakerStaysHalfOpen() throws {
        let h = try Harness(.testConsecutive(1, wait: .seconds(10)))
        h.fail()
        h.clock.advance(by: .seconds(10))
        #expect(h.breaker.state == .halfOpen)
        h.clock.advance(by: .seconds(3600))
        #expect(h.breaker.state == .halfOpen, "no trial is in flight, so the next call would be admitted as one")
        #expect(h.recorder.transitions.count == 2)
    }

    @Test func operatorStatesAreNeverMovedByTime() throws {
        let h = try Harness(.testConsecutive(1, wait: .seconds(1)))
        h.breaker.forceOpen()
        h.clock.advance(by: .seconds(60))
        #expect(h.breaker.state == .forcedOpen)
        h.breaker.disable()
        h.clock.advance(by: .seconds(60))
        #expect(h.breaker.state == .disabled)
    }
}
