import CircuitBreaker
import CircuitBreakerInternals
import CircuitBreakerTestKit
import Foundation
import Testing

/// The invocation timeout, driven by a manual clock: the timer fires when the test advances the clock, never
/// because the machine happened to be fast or slow.
@Suite struct TimeoutTests {
    func breaker(timeout: Duration, recorder: RecordingMonitor, clock: ManualClock) throws -> CircuitBreaker {
        try CircuitBreaker(
            name: "slow-dependency",
            configuration: CircuitBreaker.Configuration(
                trip: .consecutiveFailures(2),
                openWait: .fixed(.seconds(30)),
                invocationTimeout: timeout
            ),
            monitors: [recorder],
            clock: .manual(clock)
        )
    }

    @Test func timeoutFailsTheCallWhileAnOperationThatIgnoresCancellationStillRuns() async throws {
        let recorder = RecordingMonitor()
        let clock = ManualClock()
        let breaker = try breaker(timeout: .milliseconds(100), recorder: recorder, clock: clock)
        let release = Gate()
        let finished = Gate()
        let call = Task {
            try await breaker.execute {
                // Ignores cancellation: blocks a thread of its own until the test releases it.
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    Thread.detachNewThread {
                        release.wait()
                        finished.open()
                        continuation.resume()
                    }
                }
                return 1
            }
        }
        await clock.waitForSleepers(1)
        clock.advance(by: .milliseconds(99))
        #expect(clock.sleeperCount == 1, "the timer waits for its full timeout")
        clock.advance(by: .milliseconds(1))
        do {
            _ = try await call.value
            Issue.record("the call did not time out")
        } catch let error as CallTimeoutError {
            #expect(error.breakerName == "slow-dependency")
            #expect(error.timeout == .milliseconds(100))
        }
        // The caller has its answer while the operation is still blocked: it did not wait for the operation.
        #expect(!finished.isOpen)
        #expect(recorder.count("timedOut") == 1)
        release.open()
        finished.wait()
    }

    @Test func timeoutCancelsACooperativeOperationAndCountsAsFailure() async throws {
        let recorder = RecordingMonitor()
        let clock = ManualClock()
        let breaker = try breaker(timeout: .milliseconds(50), recorder: recorder, clock: clock)
        let sawCancellation = Gate()
        for attempt in 1...2 {
            let call = Task {
                try await breaker.execute {
                    do {
                        // Sleeps on the same manual clock: only cancellation can end it.
                        try await clock.sleep(for: .seconds(3600))
                    } catch {
                        sawCancellation.open()
                        throw error
                    }
                    return 0
                }
            }
            // The operation's sleep and the timeout's timer.
            await clock.waitForSleepers(2)
            clock.advance(by: .milliseconds(50))
            await #expect(throws: CallTimeoutError.self) { try await call.value }
            #expect(recorder.count("timedOut") == attempt)
        }
        #expect(breaker.state == .open, "two timeouts are two failures")
        // The cancellation reaches the operation's task after the timeout; wait for that event.
        await sawCancellation.waitAsync()
        #expect(sawCancellation.isOpen)
    }

    @Test func fastOperationsAreUnaffected() async throws {
        let recorder = RecordingMonitor()
        let breaker = try breaker(timeout: .seconds(5), recorder: recorder, clock: ManualClock())
        let value = try await breaker.execute { () async throws -> Int in 42 }
        #expect(value == 42)
        await #expect(throws: DependencyDown.self) {
            try await breaker.execute { () async throws -> Int in throw DependencyDown() }
        }
        #expect(recorder.count("succeeded") == 1)
        #expect(recorder.count("failed") == 1)
        #expect(recorder.count("timedOut") == 0)
    }

    @Test func cancellingTheCallerIsNotAFailure() async throws {
        let recorder = RecordingMonitor()
        let clock = ManualClock()
        let breaker = try breaker(timeout: .seconds(5), recorder: recorder, clock: clock)
        let task = Task {
            try await breaker.execute {
                try await clock.sleep(for: .seconds(3600))
                return 0
            }
        }
        await clock.waitForSleepers(2)
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
        #expect(recorder.count("ignored") == 1)
        #expect(recorder.count("failed") == 0)
        #expect(recorder.count("timedOut") == 0)
    }
}

/// A one-way flag that threads and tasks can wait for.
final class Gate: Sendable {
    private let state = Locked(false)

    var isOpen: Bool { state.withLock { $0 } }

    func open() { state.updateAndBroadcast { $0 = true } }

    /// Blocks the calling thread until the gate opens (at most 10 minutes: only a hung test waits that long).
    func wait() {
        _ = state.wait(until: { $0 }, deadlineMonotonicNanoseconds: MonotonicTime.nanoseconds() + 600_000_000_000)
    }

    /// Waits without blocking a thread of the cooperative pool.
    func waitAsync() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            Thread.detachNewThread {
                self.wait()
                continuation.resume()
            }
        }
    }
}
