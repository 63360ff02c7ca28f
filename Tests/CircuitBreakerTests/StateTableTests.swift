import CircuitBreaker
import CircuitBreakerInternals
import CircuitBreakerTestKit
import Testing

@Suite struct StateTableTests {
    @Test func fifteenPairsCanOccur() {
        #expect(StateTable.possiblePairs.count == 15)
        #expect(!CircuitState.closed.canTransition(to: .halfOpen))
        #expect(!CircuitState.forcedOpen.canTransition(to: .open))
        #expect(!CircuitState.disabled.canTransition(to: .halfOpen))
        #expect(CircuitState.disabled.canTransition(to: .forcedOpen))
        for state in CircuitState.allCases {
            #expect(!state.canTransition(to: state))
            #expect(StateTable.labels[Int(state.rawValue)] == state.label)
        }
    }

    @Test func everyTransitionTheBreakerMakesIsInTheTable() throws {
        let recorder = RecordingMonitor()
        let clock = ManualClock()
        let breaker = try CircuitBreaker(
            name: "walk",
            configuration: .consecutiveFailures(1, openWait: .seconds(1)),
            monitors: [recorder],
            clock: .manual(clock)
        )
        let operatorMoves: [() -> Void] = [breaker.forceOpen, breaker.disable, breaker.reset]
        for first in operatorMoves {
            for second in operatorMoves {
                first()
                second()
                _ = try? breaker.execute { () throws -> Int in throw DependencyDown() }
                clock.advance(by: .seconds(2))
                _ = try? breaker.execute { 1 }
                first()
                breaker.reset()
            }
        }
        let seen = Set(recorder.transitions.map { "\($0.from)→\($0.to)" })
        #expect(seen.count >= 9)
        for transition in recorder.transitions {
            #expect(transition.from.canTransition(to: transition.to), "\(transition)")
        }
    }
}
