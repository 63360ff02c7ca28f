import CircuitBreaker
import Testing

@Suite struct ManualControlTests {
    @Test func forcedOpenRejectsEverythingUntilReset() throws {
        let h = try Harness(.testConsecutive(1, wait: .seconds(1)))
        h.breaker.forceOpen()
        #expect(h.breaker.state == .forcedOpen)
        h.clock.advance(by: .seconds(3600))
        do {
            try h.breaker.execute {}
            Issue.record("a forced-open breaker ran a call")
        } catch let error as CallRejectedError {
            #expect(error.state == .forcedOpen)
            #expect(error.retryAfter == nil)
        }
        h.breaker.reset()
        #expect(h.breaker.state == .closed)
        #expect(h.succeed())
        #expect(h.recorder.transitions.map(\.reason) == [.forcedOpen, .reset])
        #expect(h.recorder.count("reset") == 1)
    }

    @Test func disabledAdmitsAndRecordsButNeverTrips() throws {
        let config = CircuitBreaker.Configuration(
            trip: .failureRatio(0.5, window: .count(10), minimumCalls: 2),
            openWait: .fixed(.seconds(1))
        )
        let h = try Harness(config)
        h.breaker.disable()
        for _ in 0..<10 { #expect(h.fail()) }
        #expect(h.breaker.state == .disabled)
        let snapshot = h.breaker.snapshot()
        #expect(snapshot.windowCalls == 10)
        #expect(snapshot.windowFailures == 10)
        #expect(h.recorder.count("failed") == 10)
    }

    @Test func resetClearsTheWindowFromAnyState() throws {
        let config = CircuitBreaker.Configuration(
            trip: .failureRatio(0.5, window: .count(10), minimumCalls: 4),
            openWait: .fixed(.seconds(1))
        )
        let h = try Harness(config)
        h.fail()
        h.fail()
        h.fail()
        #expect(h.breaker.snapshot().windowFailures == 3)
        let generation = h.breaker.generation
        h.breaker.reset()
        #expect(h.breaker.snapshot().windowCalls == 0)
        #expect(h.breaker.generation == generation + 1)
        #expect(h.recorder.transitions.isEmpty, "closed → closed is not a transition")
        #expect(h.recorder.count("reset") == 1)

        h.fail(); h.fail(); h.fail(); h.fail()
        #expect(h.breaker.state == .open)
        h.breaker.reset()
        #expect(h.breaker.state == .closed)
        #expect(h.breaker.snapshot().windowCalls == 0)
    }

    @Test func snapshotReportsTheLastTransitionTime() throws {
        let h = try Harness(.testConsecutive(1))
        let created = h.breaker.snapshot().lastTransitionTimestamp
        h.clock.advance(by: .seconds(42))
        h.fail()
        #expect(h.breaker.snapshot().lastTransitionTimestamp == created + 42)
    }
}
