import CircuitBreaker
import CircuitBreakerTestKit
import Foundation
import Synchronization
import Testing

/// Many threads on one breaker. `make test` runs this suite again under ThreadSanitizer.
@Suite struct ConcurrencyTests {
    /// Runs `body(thread, iteration)` on `threads` threads, `iterations` times each, all released together, and
    /// waits for them without blocking a thread of the cooperative pool (other tests' timers need those).
    func hammer(threads: Int, iterations: Int, _ body: @escaping @Sendable (Int, Int) -> Void) async {
        let start = DispatchSemaphoreLike()
        let remaining = Atomic<Int>(threads)
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            for thread in 0..<threads {
                Thread.detachNewThread {
                    start.wait()
                    for iteration in 0..<iterations { body(thread, iteration) }
                    if remaining.subtract(1, ordering: .acquiringAndReleasing).newValue == 0 { done.resume() }
                }
            }
            for _ in 0..<threads { start.signal() }
        }
    }

    @Test func noCountIsLostAndTheWindowStaysExact() async throws {
        let counter = CountingMonitor()
        let breaker = try CircuitBreaker(
            name: "hammered",
            configuration: CircuitBreaker.Configuration(trip: .failureRatio(1, window: .count(1000), minimumCalls: 1000)),
            monitors: [counter]
        )
        breaker.disable()
        await hammer(threads: 8, iterations: 5000) { thread, iteration in
            _ = try? breaker.execute {
                if (thread + iteration) % 3 == 0 { throw DependencyDown() }
            }
        }
        let counts = counter.counts
        #expect(counts.calls == 40_000)
        #expect(counts.failures == (0..<8).reduce(0) { sum, t in sum + (0..<5000).filter { (t + $0) % 3 == 0 }.count })
        #expect(breaker.snapshot().windowCalls == 1000)
        // The running failure count must match the slots exactly: overwrite every slot and look.
        for _ in 0..<1000 { _ = try? breaker.execute {} }
        #expect(breaker.snapshot().windowFailures == 0)
        for _ in 0..<1000 { _ = try? breaker.execute { throw DependencyDown() } }
        #expect(breaker.snapshot().windowFailures == 1000)
    }

    @Test func theStripedTimeWindowLosesNoCount() async throws {
        let clock = ManualClock()
        let breaker = try CircuitBreaker(
            name: "striped",
            configuration: CircuitBreaker.Configuration(
                trip: .failureRatio(1, window: .time(.seconds(60)), minimumCalls: 100)
            ),
            clock: .manual(clock)
        )
        breaker.disable()
        await hammer(threads: 8, iterations: 5000) { thread, iteration in
            _ = try? breaker.execute {
                if (thread + iteration) % 5 == 0 { throw DependencyDown() }
            }
        }
        let snapshot = breaker.snapshot()
        #expect(snapshot.windowCalls == 40_000, "every stripe is summed")
        #expect(snapshot.windowFailures == 8000)
        clock.advance(by: .seconds(61))
        #expect(breaker.snapshot().windowCalls == 0, "every stripe slides")
    }

    @Test func consecutiveFailuresTripExactlyOnce() async throws {
        let recorder = RecordingMonitor()
        let counter = CountingMonitor()
        let breaker = try CircuitBreaker(
            name: "hammered",
            configuration: .consecutiveFailures(100, openWait: .seconds(3600)),
            monitors: [recorder, counter]
        )
        await hammer(threads: 8, iterations: 1000) { _, _ in
            _ = try? breaker.execute { throw DependencyDown() }
        }
        #expect(breaker.state == .open)
        #expect(recorder.transitions.count == 1)
        let counts = counter.counts
        #expect(counts.failures + counts.rejections == 8000)
        #expect(counts.failures >= 100)
    }

    @Test func halfOpenNeverAdmitsMoreThanTheTrialCalls() async throws {
        let clock = ManualClock()
        let breaker = try CircuitBreaker(
            name: "probed",
            configuration: CircuitBreaker.Configuration(
                trip: .consecutiveFailures(1),
                openWait: .fixed(.seconds(1)),
                halfOpen: HalfOpenPolicy(trialCalls: 3)
            ),
            clock: .manual(clock)
        )
        _ = try? breaker.execute { throw DependencyDown() }
        clock.advance(by: .seconds(1))
        let admitted = Atomic<Int>(0)
        let inFlight = Atomic<Int>(0)
        let maxInFlight = Atomic<Int>(0)
        await hammer(threads: 8, iterations: 200) { _, _ in
            _ = try? breaker.execute {
                admitted.add(1, ordering: .relaxed)
                let now = inFlight.add(1, ordering: .relaxed).newValue
                maxInFlight.max(now, ordering: .relaxed)
                Thread.sleep(forTimeInterval: 0.002)
                inFlight.subtract(1, ordering: .relaxed)
                throw DependencyDown()
            }
        }
        // The first trial failure reopens the breaker and the clock stands still: no later period admits more.
        #expect(admitted.load(ordering: .relaxed) <= 3)
        #expect(admitted.load(ordering: .relaxed) >= 1)
        #expect(maxInFlight.load(ordering: .relaxed) <= 3)
        #expect(breaker.state == .open)
    }

    @Test func lateResultsOfAnEarlierGenerationAreIgnored() async throws {
        let clock = ManualClock()
        let breaker = try CircuitBreaker(
            name: "late",
            configuration: CircuitBreaker.Configuration(
                trip: .consecutiveFailures(3),
                openWait: .fixed(.seconds(1)),
                halfOpen: HalfOpenPolicy(trialCalls: 1)
            ),
            clock: .manual(clock)
        )
        let stragglers = ProbeHolder()
        for _ in 0..<8 { #expect(stragglers.begin(on: breaker)) }
        for _ in 0..<3 { _ = try? breaker.execute { throw DependencyDown() } }
        #expect(breaker.state == .open)
        clock.advance(by: .seconds(1))
        _ = try breaker.execute {}
        #expect(breaker.state == .closed)
        stragglers.finishAll(success: false)
        #expect(breaker.state == .closed)
        #expect(breaker.snapshot().consecutiveFailures == 0)
    }

    @Test func asyncCallsFromManyTasksAreAllCounted() async throws {
        let counter = CountingMonitor()
        let breaker = try CircuitBreaker(
            name: "async",
            configuration: CircuitBreaker.Configuration(
                trip: .failureRatio(0.9, window: .time(.seconds(60)), minimumCalls: 10_000),
                invocationTimeout: .seconds(10)
            ),
            monitors: [counter],
            // Time stands still: however slow the machine, no call times out.
            clock: .manual(ManualClock())
        )
        try await withThrowingTaskGroup(of: Void.self) { group in
            for task in 0..<16 {
                group.addTask {
                    for call in 0..<200 {
                        _ = try? await breaker.execute { () async throws -> Int in
                            if (task + call) % 4 == 0 { throw DependencyDown() }
                            return call
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        let counts = counter.counts
        #expect(counts.successes + counts.failures == 3200)
        #expect(counts.failures == 800)
        let snapshot = breaker.snapshot()
        #expect(snapshot.windowCalls == 3200)
        #expect(snapshot.windowFailures == 800)
        #expect(breaker.state == .closed)
    }
}
