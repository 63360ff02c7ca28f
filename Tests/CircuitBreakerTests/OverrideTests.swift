import CircuitBreaker
import CircuitBreakerTestKit
import Testing

@Suite struct OverrideTests {
    func override(
        _ action: BreakerOverride.Action,
        _ h: Harness,
        ttl: Double = 1_800,
        actor: String = "alice"
    ) -> BreakerOverride {
        let now = h.clock.wallClockSeconds
        return BreakerOverride(action: action, reason: "incident 42", actor: actor, appliedAt: now, expiresAt: now + ttl)
    }

    @Test func aForcedOpenOverrideEndsByItselfAndReturnsToAutomaticControl() throws {
        let h = try Harness(.testConsecutive(3))
        let forced = override(.forceOpen, h, ttl: 1_800)
        h.breaker.apply(forced)
        #expect(h.breaker.state == .forcedOpen)
        #expect(h.breaker.activeOverride == forced)
        #expect(h.breaker.snapshot().activeOverride == forced)
        #expect(h.isRejected())
        h.clock.advance(by: .seconds(1_799))
        #expect(h.breaker.state == .forcedOpen)
        h.clock.advance(by: .seconds(1))
        #expect(h.breaker.state == .closed, "expired: back under automatic control")
        #expect(h.breaker.activeOverride == nil)
        #expect(h.recorder.transitions.last?.reason == .overrideExpired)
        #expect(h.recorder.transitions.last?.timestamp == forced.expiresAt, "dated when it ended")
        #expect(h.recorder.events.contains {
            if case .overrideEnded(_, let ended, expired: true) = $0 { ended == forced } else { false }
        })
    }

    @Test func aCallNoticesTheExpiryOfADisableOverride() throws {
        let h = try Harness(.testConsecutive(1))
        h.breaker.apply(override(.disable, h, ttl: 60))
        #expect(h.fail() && h.fail(), "disabled: never trips")
        #expect(h.breaker.state == .disabled)
        h.clock.advance(by: .seconds(60))
        #expect(h.fail(), "the first call after the expiry runs under automatic control")
        #expect(h.breaker.state == .open, "and trips it")
    }

    @Test func theLastOverrideWinsAndEachIsReported() throws {
        let h = try Harness(.testConsecutive(3))
        let first = override(.forceOpen, h, ttl: 600, actor: "alice")
        let second = override(.disable, h, ttl: 300, actor: "bob")
        h.breaker.apply(first)
        h.breaker.apply(second)
        #expect(h.breaker.state == .disabled)
        #expect(h.breaker.activeOverride == second)
        #expect(h.recorder.count("overrideApplied") == 2)
        #expect(h.recorder.events.contains {
            if case .overrideEnded(_, let ended, expired: false) = $0 { ended == first } else { false }
        })
        h.clock.advance(by: .seconds(300))
        #expect(h.breaker.state == .closed, "the second override's expiry counts, not the first's")
    }

    @Test func clearingAnOverrideResetsTheBreaker() throws {
        let h = try Harness(.testConsecutive(3))
        let forced = override(.forceOpen, h)
        h.breaker.apply(forced)
        #expect(h.breaker.clearOverride() == forced)
        #expect(h.breaker.state == .closed)
        #expect(h.breaker.clearOverride() == nil, "nothing left to clear")
    }

    @Test func aResetOverrideClosesNowAndLeavesNothingInForce() throws {
        let h = try Harness(.testConsecutive(1))
        h.fail()
        #expect(h.breaker.state == .open)
        h.breaker.apply(override(.reset, h))
        #expect(h.breaker.state == .closed)
        #expect(h.breaker.activeOverride == nil)
        #expect(h.recorder.count("reset") == 1)
    }

    @Test func anExpiredOverrideRestoredLateChangesNothing() throws {
        let h = try Harness(.testConsecutive(1))
        h.breaker.apply(override(.forceOpen, h, ttl: -5), restored: true)
        #expect(h.breaker.state == .closed)
        #expect(h.recorder.count("overrideApplied") == 0)
    }

    @Test func manualStateChangesEndAnOverride() throws {
        let h = try Harness(.testConsecutive(1))
        h.breaker.apply(override(.disable, h, ttl: 60))
        h.breaker.forceOpen()
        #expect(h.breaker.activeOverride == nil)
        h.clock.advance(by: .seconds(120))
        #expect(h.breaker.state == .forcedOpen, "a plain forceOpen() has no end")
    }
}
