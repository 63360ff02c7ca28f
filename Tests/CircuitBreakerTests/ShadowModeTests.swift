import CircuitBreaker
import CircuitBreakerTestKit
import Testing

@Suite struct ShadowModeTests {
    func shadowHarness(trials: Int = 1) throws -> Harness {
        var configuration = CircuitBreaker.Configuration.testConsecutive(2, wait: .seconds(10), trials: trials)
        configuration.enforcement = .shadow
        return try Harness(configuration)
    }

    @Test func aShadowBreakerTripsWaitsAndProbesButRunsEveryCall() throws {
        let h = try shadowHarness()
        h.fail()
        h.fail()
        #expect(h.breaker.state == .open, "it trips exactly as an enforcing breaker")
        var ran = 0
        for _ in 0..<5 {
            _ = try? h.breaker.execute { ran += 1 }
        }
        #expect(ran == 5, "but it runs every call")
        #expect(h.recorder.count("shadowRejected") == 5)
        #expect(h.recorder.count("rejected") == 0)
        #expect(h.recorder.count("succeeded") == 5, "the calls it would have rejected report their outcomes too")
        #expect(h.breaker.state == .open, "their successes do not close it: an enforcing breaker would not have run them")
        h.clock.advance(by: .seconds(10))
        #expect(h.succeed(), "the probe after the wait")
        #expect(h.breaker.state == .closed)
        #expect(h.recorder.transitions.map(\.to) == [.open, .halfOpen, .closed])
    }

    @Test func failuresOfShadowAdmittedCallsDoNotReopenOrCount() throws {
        let h = try shadowHarness(trials: 1)
        h.fail()
        h.fail()
        h.clock.advance(by: .seconds(10))
        // The probe takes the only trial slot; a second concurrent call would have been rejected.
        let probes = ProbeHolder()
        #expect(probes.begin(on: h.breaker))
        #expect(h.fail(), "the extra call runs")
        #expect(h.recorder.count("shadowRejected") == 1)
        #expect(h.breaker.state == .halfOpen, "its failure is not a trial failure")
        probes.finishAll(success: true)
        #expect(h.breaker.state == .closed)
    }

    @Test func forcedOpenShadowBreakersRunCallsToo() throws {
        let h = try shadowHarness()
        h.breaker.forceOpen()
        #expect(h.succeed())
        #expect(h.recorder.events.contains {
            if case .shadowRejected(_, .forcedOpen) = $0 { true } else { false }
        })
    }

    @Test func enforcingIsTheDefault() throws {
        #expect(CircuitBreaker.Configuration.default.enforcement == .enforcing)
        let h = try Harness(.testConsecutive(1))
        h.fail()
        #expect(h.isRejected())
        #expect(h.recorder.count("shadowRejected") == 0)
    }
}
