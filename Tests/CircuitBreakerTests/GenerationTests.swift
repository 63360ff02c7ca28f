import CircuitBreaker
import Testing

@Suite struct GenerationTests {
    @Test func aLateFailureFromBeforeTheTripDoesNotReopenAClosedBreaker() throws {
        let h = try Harness(.testConsecutive(2, wait: .seconds(1)))
        let holder = ProbeHolder()
        #expect(holder.begin(on: h.breaker), "a slow call is admitted while closed")
        h.fail()
        h.fail()
        #expect(h.breaker.state == .open)
        h.clock.advance(by: .seconds(1))
        h.succeed()
        #expect(h.breaker.state == .closed)
        h.fail()
        holder.finishAll(success: false)
        #expect(h.breaker.state == .closed, "the old call's failure must not count towards the new period")
        #expect(h.breaker.snapshot().consecutiveFailures == 1)
    }

    @Test func aLateResultFromClosedDoesNotSettleHalfOpen() throws {
        let h = try Harness(.testConsecutive(1, wait: .seconds(1), trials: 1))
        let holder = ProbeHolder()
        #expect(holder.begin(on: h.breaker))
        h.fail()
        h.clock.advance(by: .seconds(1))
        let trial = ProbeHolder()
        #expect(trial.begin(on: h.breaker), "the trial call is admitted")
        #expect(h.breaker.state == .halfOpen)
        holder.finishAll(success: true)
        #expect(h.breaker.state == .halfOpen, "a success from the closed period is no trial success")
        trial.finishAll(success: true)
        #expect(h.breaker.state == .closed)
    }

    @Test func generationsGrowWithEveryTransition() throws {
        let h = try Harness(.testConsecutive(1, wait: .seconds(1)))
        #expect(h.breaker.generation == 1)
        h.fail()
        h.clock.advance(by: .seconds(1))
        h.succeed()
        #expect(h.recorder.transitions.map(\.generation) == [2, 3, 4])
        #expect(h.breaker.generation == 4)
    }

    @Test(arguments: [SlidingWindow.count(10), .time(.seconds(60))])
    func aLateOutcomeDoesNotEnterTheWindowOfALaterPeriod(window: SlidingWindow) throws {
        let config = CircuitBreaker.Configuration(
            trip: .failureRatio(0.5, window: window, minimumCalls: 2),
            openWait: .fixed(.seconds(1)),
            halfOpen: HalfOpenPolicy(trialCalls: 1)
        )
        let h = try Harness(config)
        let holder = ProbeHolder()
        #expect(holder.begin(on: h.breaker))
        h.fail()
        h.fail()
        #expect(h.breaker.state == .open)
        h.clock.advance(by: .seconds(1))
        h.succeed()
        #expect(h.breaker.state == .closed)
        h.succeed()
        holder.finishAll(success: false)
        let snapshot = h.breaker.snapshot()
        #expect(snapshot.windowCalls == 1, "only the call of the new closed period is in the window")
        #expect(snapshot.windowFailures == 0)
        #expect(h.breaker.state == .closed)
    }
}
