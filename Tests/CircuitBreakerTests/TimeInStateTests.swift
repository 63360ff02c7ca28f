import CircuitBreaker
import CircuitBreakerTestKit
import Testing

@Suite struct TimeInStateTests {
    @Test func eachStateCountsItsPeriodsAndTheCurrentOne() throws {
        let h = try Harness(.testConsecutive(1, wait: .seconds(10)))
        h.clock.advance(by: .seconds(30))
        h.fail()  // closed for 30 s, now open
        h.clock.advance(by: .seconds(4))
        var times = h.breaker.snapshot().timeInState
        #expect(times[.closed] == .seconds(30))
        #expect(times[.open] == .seconds(4), "the current period is included")
        #expect(h.breaker.snapshot().timeInCurrentState == .seconds(4))
        h.clock.advance(by: .seconds(6))
        #expect(h.succeed())  // open → half-open at 10 s, then closed
        h.clock.advance(by: .seconds(2))
        times = h.breaker.snapshot().timeInState
        #expect(times[.closed] == .seconds(32))
        #expect(times[.open] == .seconds(10))
        #expect(times[.halfOpen] == .zero, "the trial settled at once")
        #expect(times.seconds(in: .closed) == 32)
        #expect(times.total == .seconds(42))
    }

    @Test func operatorStatesKeepTheirOwnTime() throws {
        let h = try Harness(.testConsecutive(1, wait: .seconds(10)))
        h.clock.advance(by: .seconds(1))
        h.breaker.forceOpen()
        h.clock.advance(by: .seconds(3))
        h.breaker.disable()
        h.clock.advance(by: .seconds(5))
        let times = h.breaker.snapshot().timeInState
        #expect(times[.closed] == .seconds(1))
        #expect(times[.forcedOpen] == .seconds(3))
        #expect(times[.disabled] == .seconds(5))
        #expect(times[.open] == .zero && times[.halfOpen] == .zero)
        #expect(times.total == .seconds(9))
        #expect(times != TimeInState())
    }

    @Test func shortOpensBetweenTwoReadsStillShowUp() throws {
        let h = try Harness(.testConsecutive(1, wait: .milliseconds(500)))
        let before = h.breaker.snapshot().timeInState
        h.fail()
        h.clock.advance(by: .milliseconds(500))
        #expect(h.succeed())
        h.clock.advance(by: .seconds(10))
        let after = h.breaker.snapshot()
        // A reader sampling the state gauge before and after sees `closed` twice; the time counter saw the open.
        #expect(after.state == .closed)
        #expect(after.timeInState[.open] - before[.open] == .milliseconds(500))
    }

    @Test func totalsNeverGoDownAcrossReadsAndTransitions() throws {
        let h = try Harness(.testConsecutive(1, wait: .seconds(1)))
        var previous = h.breaker.snapshot().timeInState
        for step in 0..<50 {
            h.clock.advance(by: .milliseconds(137))
            switch step % 5 {
            case 0: h.fail()
            case 1: _ = h.breaker.state
            case 2: h.succeed()
            case 3: h.breaker.forceOpen()
            default: h.breaker.reset()
            }
            let current = h.breaker.snapshot().timeInState
            for state in CircuitState.allCases {
                #expect(current[state] >= previous[state], "\(state) went down at step \(step)")
            }
            #expect(current.total == .milliseconds(137 * (step + 1)))
            previous = current
        }
    }
}
