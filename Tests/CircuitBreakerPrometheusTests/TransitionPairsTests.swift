import CircuitBreaker
import CircuitBreakerTestKit
import Testing

@testable import CircuitBreakerPrometheus

@Suite struct TransitionPairsTests {
    @Test func fifteenPairsCanOccur() {
        #expect(TransitionPairs.all.count == 15)
        #expect(!TransitionPairs.isPossible(from: .closed, to: .halfOpen))
        #expect(!TransitionPairs.isPossible(from: .forcedOpen, to: .open))
        #expect(!TransitionPairs.isPossible(from: .disabled, to: .halfOpen))
        #expect(TransitionPairs.isPossible(from: .disabled, to: .forcedOpen))
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
                _ = try? breaker.execute { () throws -> Int in throw TestFailure() }
                clock.advance(by: .seconds(2))
                _ = try? breaker.execute { 1 }
                first()
                breaker.reset()
            }
        }
        let seen = Set(recorder.transitions.map { "\($0.from)→\($0.to)" })
        #expect(seen.count >= 9)
        for transition in recorder.transitions {
            #expect(TransitionPairs.isPossible(from: transition.from, to: transition.to), "\(transition)")
        }
    }
}
