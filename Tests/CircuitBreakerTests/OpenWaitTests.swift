import CircuitBreaker
import Testing

@Suite struct OpenWaitTests {
    func backoffHarness(jitter: Double = 0) throws -> Harness {
        try Harness(
            CircuitBreaker.Configuration(
                trip: .consecutiveFailures(1),
                openWait: .exponential(initial: .seconds(1), multiplier: 2, maximum: .seconds(5), jitter: jitter),
                halfOpen: HalfOpenPolicy(trialCalls: 1)
            )
        )
    }

    /// Lets the current wait elapse and fails the probe; returns the next wait.
    func reopen(_ h: Harness) throws -> Duration {
        let wait = try #require(h.recorder.transitions.last?.openWait)
        h.clock.advance(by: wait)
        h.fail()
        #expect(h.breaker.state == .open)
        return try #require(h.recorder.transitions.last?.openWait)
    }

    @Test func backoffGrowsWithEachReopenUpToTheCap() throws {
        let h = try backoffHarness()
        h.fail()
        #expect(h.recorder.transitions.last?.openWait == .seconds(1))
        #expect(try reopen(h) == .seconds(2))
        #expect(try reopen(h) == .seconds(4))
        #expect(try reopen(h) == .seconds(5))
        #expect(try reopen(h) == .seconds(5))
        #expect(h.breaker.snapshot().consecutiveReopens == 4)
    }

    @Test func backoffResetsOnceTheBreakerCloses() throws {
        let h = try backoffHarness()
        h.fail()
        _ = try reopen(h)
        _ = try reopen(h)
        h.clock.advance(by: .seconds(4))
        h.succeed()
        #expect(h.breaker.state == .closed)
        #expect(h.breaker.snapshot().consecutiveReopens == 0)
        h.fail()
        #expect(h.recorder.transitions.last?.openWait == .seconds(1))
    }

    @Test func jitterStaysWithinItsBounds() throws {
        let h = try backoffHarness(jitter: 0.5)
        h.fail()
        var waits: Set<Duration> = []
        for _ in 0..<20 {
            let wait = try #require(h.recorder.transitions.last?.openWait)
            waits.insert(wait)
            h.breaker.reset()
            h.fail()
        }
        for wait in waits {
            #expect(wait >= .milliseconds(500) && wait <= .milliseconds(1500))
        }
        #expect(waits.count > 1, "twenty jittered waits are not all equal")
    }

    @Test func retryAfterReportsTheRestOfTheWait() throws {
        let h = try backoffHarness()
        h.fail()
        h.clock.advance(by: .milliseconds(300))
        #expect(h.breaker.snapshot().retryAfter == .milliseconds(700))
    }
}
