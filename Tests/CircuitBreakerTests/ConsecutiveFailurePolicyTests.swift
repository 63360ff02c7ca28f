import CircuitBreaker
import Testing

@Suite struct ConsecutiveFailurePolicyTests {
    @Test func tripsAfterThresholdConsecutiveFailures() throws {
        let h = try Harness(.testConsecutive(3))
        h.fail()
        h.fail()
        #expect(h.breaker.state == .closed)
        h.fail()
        #expect(h.breaker.state == .open)
        let transition = try #require(h.recorder.transitions.last)
        #expect(transition.from == .closed && transition.to == .open)
        #expect(transition.reason == .consecutiveFailures)
        #expect(transition.openWait == .seconds(10))
    }

    @Test func successResetsTheCount() throws {
        let h = try Harness(.testConsecutive(3))
        h.fail()
        h.fail()
        h.succeed()
        #expect(h.breaker.snapshot().consecutiveFailures == 0)
        h.fail()
        h.fail()
        #expect(h.breaker.state == .closed)
        #expect(h.breaker.snapshot().consecutiveFailures == 2)
    }

    @Test func openRejectsWithRetryAfterAndRecoversThroughHalfOpen() throws {
        let h = try Harness(.testConsecutive(1, wait: .seconds(10)))
        h.fail()
        h.clock.advance(by: .seconds(4))
        do {
            try h.breaker.execute {}
            Issue.record("an open breaker ran a call")
        } catch let error as CallRejectedError {
            #expect(error.breakerName == "dependency")
            #expect(error.state == .open)
            #expect(error.retryAfter == .seconds(6))
        }
        h.clock.advance(by: .seconds(6))
        #expect(h.breaker.state == .halfOpen, "reading the state makes the move the next call would make")
        #expect(h.breaker.state == .halfOpen)
        #expect(h.recorder.transitions.map(\.to) == [.open, .halfOpen], "the move is reported once")
        #expect(h.succeed())
        #expect(h.breaker.state == .closed)
        #expect(h.recorder.transitions.map(\.to) == [.open, .halfOpen, .closed])
        #expect(h.recorder.transitions.map(\.reason) == [.consecutiveFailures, .openWaitElapsed, .trialsSucceeded])
        #expect(h.recorder.count("rejected") == 1)
    }

    @Test func seedExampleValuesAreReachable() throws {
        let seed = CircuitBreaker.Configuration(
            trip: .consecutiveFailures(5),
            openWait: .fixed(.milliseconds(100)),
            halfOpen: HalfOpenPolicy(trialCalls: 1),
            invocationTimeout: .milliseconds(10)
        )
        let h = try Harness(seed)
        for _ in 0..<5 { h.fail() }
        #expect(h.breaker.state == .open)
        h.clock.advance(by: .milliseconds(100))
        #expect(h.succeed())
        #expect(h.breaker.state == .closed)
    }
}
