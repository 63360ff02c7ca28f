import CircuitBreaker
import Testing

@Suite struct FallbackTests {
    @Test func fallbackServesRejectedCallsWithTheReason() throws {
        let h = try Harness(.testConsecutive(1))
        h.fail()
        let value = try h.breaker.execute({ "fresh" }, fallback: { reason in
            guard case .rejected(let rejection) = reason else { return "wrong reason" }
            return "cached (\(rejection.state))"
        })
        #expect(value == "cached (open)")
        #expect(h.recorder.count("fallback") == 1)
    }

    @Test func failuresRethrowUnlessConfigured() throws {
        let h = try Harness(.testConsecutive(5))
        #expect(throws: DependencyDown.self) {
            try h.breaker.execute({ () throws -> String in throw DependencyDown() }, fallback: { _ in "cached" })
        }
        var config = CircuitBreaker.Configuration.testConsecutive(5)
        config.fallbackTriggers = [.rejection, .failure]
        let h2 = try Harness(config)
        let value = try h2.breaker.execute({ () throws -> String in throw DependencyDown() }, fallback: { reason in
            if case .failed(let error) = reason, error is DependencyDown { return "cached" }
            return "wrong reason"
        })
        #expect(value == "cached")
        #expect(h2.recorder.count("failed") == 1, "the failure is still recorded")
    }

    @Test func aFailingFallbackIsReportedAndPropagates() throws {
        let h = try Harness(.testConsecutive(1))
        h.fail()
        #expect(throws: BadRequest.self) {
            try h.breaker.execute({ 1 }, fallback: { _ in throw BadRequest() })
        }
        #expect(h.recorder.events.contains {
            if case .fallback(_, _, false) = $0 { true } else { false }
        })
    }

    @Test func asyncFallbackOnTimeout() async throws {
        let clock = ManualClock()
        let breaker = try CircuitBreaker(
            name: "slow",
            configuration: CircuitBreaker.Configuration(
                trip: .consecutiveFailures(5),
                invocationTimeout: .milliseconds(20),
                fallbackTriggers: .all
            ),
            clock: .manual(clock)
        )
        let call = Task {
            try await breaker.execute({
                try await clock.sleep(for: .seconds(5))
                return "fresh"
            }, fallback: { reason in
                if case .timedOut = reason { return "stale" }
                return "wrong reason"
            })
        }
        // The operation's sleep and the timeout's timer are armed; the timeout comes first.
        await clock.waitForSleepers(2)
        clock.advance(by: .milliseconds(20))
        #expect(try await call.value == "stale")
    }

    @Test func typedExecuteRejectsWithoutBoxing() throws {
        let h = try Harness(.testConsecutive(1))
        do {
            _ = try h.breaker.executeTyped { () throws(DependencyDown) -> Int in throw DependencyDown() }
        } catch {
            guard case .failed(let failure) = error else {
                Issue.record("expected the operation's error")
                return
            }
            #expect(failure == DependencyDown())
        }
        do {
            _ = try h.breaker.executeTyped { () throws(DependencyDown) -> Int in 1 }
            Issue.record("an open breaker ran a call")
        } catch {
            guard case .rejected(let rejection) = error else {
                Issue.record("expected a rejection")
                return
            }
            #expect(rejection.state == .open)
        }
    }
}
