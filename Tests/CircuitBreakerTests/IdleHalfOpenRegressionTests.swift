import CircuitBreaker
import CircuitBreakerInternals
import CircuitBreakerTestKit
import Testing

/// The scenario of the core-model issue: after an idle longer than the half-open `maximumDuration`, a read while
/// the first trial runs must not end the period, a second call must be rejected, and the trial's success closes
/// the breaker. The half-open deadline used to be computed from the back-dated start of the period.
@Suite struct IdleHalfOpenRegressionTests {
    func idleHarness() throws -> Harness {
        let h = try Harness(
            CircuitBreaker.Configuration(
                trip: .consecutiveFailures(1),
                openWait: .fixed(.seconds(10)),
                halfOpen: HalfOpenPolicy(trialCalls: 1, maximumDuration: .seconds(5))
            )
        )
        h.fail()
        #expect(h.breaker.state == .open)
        h.clock.advance(by: .seconds(60))
        return h
    }

    @Test func aReadKeepsTheTrialsPeriodAndASecondCallIsRejected() throws {
        let h = try idleHarness()
        let holder = ProbeHolder()
        #expect(holder.begin(on: h.breaker), "the first call after the idle is the trial")
        let generation = h.breaker.generation
        #expect(h.breaker.state == .halfOpen, "a read while the trial runs keeps the period")
        #expect(h.breaker.generation == generation)
        #expect(h.isRejected(), "trialCalls is 1: a second call is rejected")
        #expect(h.breaker.state == .halfOpen)
        holder.finishAll(success: true)
        #expect(h.breaker.state == .closed, "the trial's success closes the breaker")
        #expect(h.recorder.transitions.map(\.reason) == [.consecutiveFailures, .openWaitElapsed, .trialsSucceeded])
        #expect(h.breaker.snapshot().consecutiveReopens == 0)
    }

    @Test func theTrialHasItsWholeTimeFromItsAdmission() throws {
        let h = try idleHarness()
        let holder = ProbeHolder()
        #expect(holder.begin(on: h.breaker))
        h.clock.advance(by: .milliseconds(4_999))
        #expect(h.breaker.state == .halfOpen, "1 ms before the trial's time is up, the period goes on")
        #expect(h.isRejected())
        h.clock.advance(by: .milliseconds(1))
        #expect(h.breaker.state == .open, "once its time is up, the next read reopens the breaker")
        let reopen = try #require(h.recorder.transitions.last)
        #expect(reopen.reason == .halfOpenDeadlineExceeded)
        #expect(h.breaker.snapshot().consecutiveReopens == 1, "one overrun, one reopen: the idle adds none")
        holder.finishAll(success: true)
        #expect(h.breaker.state == .open, "the late success belongs to a period that has ended")
    }

    @Test func theHalfOpenPeriodIsStillDatedWhenTheWaitElapsed() throws {
        let h = try idleHarness()
        #expect(h.breaker.state == .halfOpen)
        let times = h.breaker.snapshot().timeInState
        #expect(times[.open] == .seconds(10), "open from the trip until the wait elapsed")
        #expect(times[.halfOpen] == .seconds(50), "half-open from then on, whoever noticed")
    }
}
