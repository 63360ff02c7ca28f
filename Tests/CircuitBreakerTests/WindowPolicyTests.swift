import CircuitBreaker
import Testing

@Suite struct WindowPolicyTests {
    func countWindow(size: Int = 10, minimumCalls: Int = 5, ratio: Double = 0.5) -> CircuitBreaker.Configuration {
        CircuitBreaker.Configuration(
            trip: .failureRatio(ratio, window: .count(size), minimumCalls: minimumCalls),
            openWait: .fixed(.seconds(5))
        )
    }

    @Test func countWindowWaitsForMinimumCalls() throws {
        let h = try Harness(countWindow())
        for _ in 0..<4 { h.fail() }
        #expect(h.breaker.state == .closed, "4 failures are below the minimum of 5 calls")
        #expect(h.breaker.snapshot().failureRatio == 0, "no ratio is reported below the minimum")
        h.fail()
        #expect(h.breaker.state == .open)
        #expect(h.recorder.transitions.last?.reason == .failureRatio)
        #expect(h.recorder.transitions.last?.failureRatio == 1)
    }

    @Test func countWindowTripsAtTheRatio() throws {
        let h = try Harness(countWindow(size: 10, minimumCalls: 10, ratio: 0.5))
        for _ in 0..<6 { h.succeed() }
        for _ in 0..<4 { h.fail() }
        #expect(h.breaker.state == .closed)
        #expect(h.breaker.snapshot().failureRatio == 0.4)
        h.fail()  // slides out a success: 5 failures in the last 10
        #expect(h.breaker.state == .open)
    }

    @Test func countWindowForgetsOldCalls() throws {
        let h = try Harness(countWindow(size: 4, minimumCalls: 4, ratio: 0.75))
        h.fail()
        h.fail()
        for _ in 0..<4 { h.succeed() }
        let snapshot = h.breaker.snapshot()
        #expect(snapshot.windowCalls == 4)
        #expect(snapshot.windowFailures == 0)
        h.fail()
        h.fail()
        #expect(h.breaker.state == .closed)
        h.fail()
        #expect(h.breaker.state == .open)
    }

    @Test func timeWindowCountsOnlyTheLastPeriod() throws {
        let config = CircuitBreaker.Configuration(
            trip: .failureRatio(0.5, window: .time(.seconds(10), buckets: 10), minimumCalls: 4),
            openWait: .fixed(.seconds(5))
        )
        let h = try Harness(config)
        h.fail()
        h.fail()
        h.fail()
        h.clock.advance(by: .seconds(11))
        #expect(h.breaker.snapshot().windowCalls == 0, "the failures slid out of the window")
        h.fail()
        h.succeed()
        h.succeed()
        #expect(h.breaker.state == .closed)
        h.clock.advance(by: .seconds(3))
        h.fail()
        #expect(h.breaker.snapshot().windowCalls == 4)
        #expect(h.breaker.state == .open, "2 failures of 4 calls reach 0.5")
    }

    @Test func timeWindowSlidesBucketByBucket() throws {
        let config = CircuitBreaker.Configuration(
            trip: .failureRatio(0.9, window: .time(.seconds(10), buckets: 5), minimumCalls: 100),
            openWait: .fixed(.seconds(5))
        )
        let h = try Harness(config)
        for second in 0..<10 {
            h.succeed()
            if second < 9 { h.clock.advance(by: .seconds(1)) }
        }
        #expect(h.breaker.snapshot().windowCalls == 10)
        h.clock.advance(by: .seconds(2))
        #expect(h.breaker.snapshot().windowCalls == 8, "one 2-second bucket slid out")
    }

    @Test func slowCallRatioTrips() throws {
        let config = CircuitBreaker.Configuration(
            trip: .slowCallRatio(0.5, window: .count(4), minimumCalls: 4),
            openWait: .fixed(.seconds(5)),
            slowCallThreshold: .milliseconds(100)
        )
        let h = try Harness(config)
        h.slowSuccess(.milliseconds(10))
        h.slowSuccess(.milliseconds(10))
        h.slowSuccess(.milliseconds(500))
        #expect(h.breaker.state == .closed)
        h.slowSuccess(.milliseconds(500))
        #expect(h.breaker.state == .open)
        #expect(h.recorder.transitions.last?.reason == .slowCallRatio)
        #expect(h.recorder.count("slow") == 2)
    }

    @Test func slowCallRatioOnATimeWindow() throws {
        let config = CircuitBreaker.Configuration(
            trip: .window(
                WindowPolicy(
                    window: .time(.seconds(60)),
                    minimumCalls: 3,
                    failureRatioThreshold: 0.9,
                    slowCallRatioThreshold: 0.6
                )
            ),
            openWait: .fixed(.seconds(5)),
            slowCallThreshold: .seconds(1)
        )
        let h = try Harness(config)
        h.slowSuccess(.seconds(2))
        h.slowSuccess(.seconds(2))
        #expect(h.breaker.state == .closed, "below the minimum of 3 calls")
        h.slowSuccess(.seconds(2))
        #expect(h.breaker.state == .open)
        #expect(h.recorder.transitions.last?.reason == .slowCallRatio)
    }

    @Test func ignoredErrorsAreNotCounted() throws {
        var config = countWindow(size: 10, minimumCalls: 2, ratio: 0.5)
        config.errorClassifier = ErrorClassifier("ignore-bad-requests") { !($0 is BadRequest) }
        let h = try Harness(config)
        for _ in 0..<5 {
            _ = try? h.breaker.execute { throw BadRequest() }
        }
        #expect(h.breaker.state == .closed)
        #expect(h.breaker.snapshot().windowCalls == 0)
        #expect(h.recorder.count("ignored") == 5)
    }

    @Test func resultPredicateCountsAFailure() throws {
        let h = try Harness(countWindow(size: 4, minimumCalls: 2, ratio: 0.5))
        let other = try h.breaker.execute(treatingResultAsFailure: { $0 >= 500 }) { 200 }
        #expect(other == 200)
        #expect(h.breaker.state == .closed)
        let status = try h.breaker.execute(treatingResultAsFailure: { $0 >= 500 }) { 503 }
        #expect(status == 503, "the value still reaches the caller")
        #expect(h.breaker.state == .open)
        #expect(h.recorder.count("failed") == 1)
        if case .failed(_, let error, _) = h.recorder.events.first(where: { $0.kind == "failed" }) {
            #expect(error is FailedResultError)
        }
    }
}
