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

    // MARK: The shared deadline scheduler, driven by the manual clock

    /// An operation that only cancellation ends: a sleep of an hour on the same manual clock.
    static func untilCancelled(_ clock: ManualClock, sawCancellation: Gate? = nil) async throws -> Int {
        do {
            try await clock.sleep(for: .seconds(3600))
        } catch {
            sawCancellation?.open()
            throw error
        }
        return 0
    }

    @Test func theTimeoutFiresAtItsDeadlineAndNotANanosecondBefore() async throws {
        let recorder = RecordingMonitor()
        let clock = ManualClock()
        let breaker = try breaker(timeout: .milliseconds(100), recorder: recorder, clock: clock)
        let call = Task { try await breaker.execute { try await Self.untilCancelled(clock) } }
        await clock.waitForSleepers(2)
        clock.advance(by: .nanoseconds(99_999_999))
        #expect(clock.sleeperCount == 2, "the operation's sleep and the armed timeout")
        #expect(recorder.count("timedOut") == 0)
        clock.advance(by: .nanoseconds(1))
        await #expect(throws: CallTimeoutError(breakerName: "slow-dependency", timeout: .milliseconds(100))) {
            try await call.value
        }
        #expect(recorder.count("timedOut") == 1)
        // The timeout cancelled the operation's task before it answered the caller, and the cancellation ended the
        // operation's sleep: nothing is left waiting on the clock.
        #expect(clock.sleeperCount == 0)
    }

    @Test func aCallThatFinishesFirstLeavesNoDeadlineArmed() async throws {
        let recorder = RecordingMonitor()
        let clock = ManualClock()
        let breaker = try breaker(timeout: .milliseconds(100), recorder: recorder, clock: clock)
        for value in 0..<100 {
            #expect(try await breaker.execute { () async throws -> Int in value } == value)
            #expect(clock.sleeperCount == 0, "the call took its deadline out when it finished")
        }
        await withTaskGroup(of: Void.self) { group in
            for value in 0..<50 {
                group.addTask { _ = try? await breaker.execute { () async throws -> Int in value } }
            }
        }
        #expect(clock.sleeperCount == 0)
        // An operation that finishes while its deadline is armed: its own sleep ends at 50 ms, the timeout is 100 ms.
        let call = Task {
            try await breaker.execute { () async throws -> Int in
                try await clock.sleep(for: .milliseconds(50))
                return 7
            }
        }
        await clock.waitForSleepers(2)
        clock.advance(by: .milliseconds(50))
        #expect(try await call.value == 7)
        #expect(clock.sleeperCount == 0)
        // Time passing every deadline those calls had changes nothing: none of them was left behind to fire.
        clock.advance(by: .seconds(3600))
        #expect(recorder.count("timedOut") == 0)
        #expect(recorder.count("succeeded") == 151)
    }

    @Test func concurrentCallsWithDifferentDeadlinesTimeOutInDeadlineOrder() async throws {
        let recorder = RecordingMonitor()
        let clock = ManualClock()
        // Started together, armed in an order that is not their deadlines' order.
        let timeouts = [50, 20, 40, 10, 30]
        var calls: [Int: Task<Int, any Error>] = [:]
        for milliseconds in timeouts {
            let breaker = try CircuitBreaker(
                name: "t\(milliseconds)",
                configuration: CircuitBreaker.Configuration(invocationTimeout: .milliseconds(milliseconds)),
                monitors: [recorder],
                clock: .manual(clock)
            )
            calls[milliseconds] = Task { try await breaker.execute { try await Self.untilCancelled(clock) } }
        }
        await clock.waitForSleepers(2 * timeouts.count)
        for (step, milliseconds) in timeouts.sorted().enumerated() {
            clock.advance(by: .milliseconds(10))
            do {
                _ = try await calls[milliseconds]?.value
                Issue.record("the call with a \(milliseconds) ms timeout did not time out")
            } catch let error as CallTimeoutError {
                #expect(error.timeout == .milliseconds(milliseconds))
            }
            let timedOut = recorder.events.filter { $0.kind == "timedOut" }.map(\.breaker)
            #expect(timedOut == timeouts.sorted().prefix(step + 1).map { "t\($0)" }, "only the deadlines reached fired")
            #expect(clock.sleeperCount == 2 * (timeouts.count - step - 1), "the later calls are still armed")
        }
    }

    @Test func anAbandonedOperationsLateResultChangesNothing() async throws {
        let recorder = RecordingMonitor()
        let clock = ManualClock()
        let breaker = try breaker(timeout: .milliseconds(100), recorder: recorder, clock: clock)
        let release = Gate()
        let dropped = Gate()
        let call = Task {
            try await breaker.execute { () async throws -> LateValue in
                // Ignores cancellation: blocks a thread of its own until the test releases it.
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    Thread.detachNewThread {
                        release.wait()
                        continuation.resume()
                    }
                }
                return LateValue(onDrop: dropped)
            }
        }
        await clock.waitForSleepers(1)
        clock.advance(by: .milliseconds(100))
        await #expect(throws: CallTimeoutError.self) { _ = try await call.value }
        let eventsAtTimeout = recorder.events.count
        #expect(breaker.snapshot().consecutiveFailures == 1)

        // The operation now returns; its value is released only once the race has dropped it.
        release.open()
        await dropped.waitAsync()
        #expect(recorder.events.count == eventsAtTimeout, "no event for the late result")
        #expect(recorder.count("succeeded") == 0)
        #expect(breaker.snapshot().consecutiveFailures == 1, "a late success does not reset the failure streak")
        #expect(clock.sleeperCount == 0)
    }

    @Test func anAbandonedOperationsLateFailureIsNotCounted() async throws {
        let recorder = RecordingMonitor()
        let clock = ManualClock()
        // Two consecutive failures open it: were the late failure counted, the timeout and it would trip it.
        let breaker = try breaker(timeout: .milliseconds(100), recorder: recorder, clock: clock)
        let release = Gate()
        let dropped = Gate()
        let call = Task {
            try await breaker.execute { () async throws -> Int in
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    Thread.detachNewThread {
                        release.wait()
                        continuation.resume()
                    }
                }
                throw LateFailure(onDrop: dropped)
            }
        }
        await clock.waitForSleepers(1)
        clock.advance(by: .milliseconds(100))
        await #expect(throws: CallTimeoutError.self) { _ = try await call.value }
        release.open()
        await dropped.waitAsync()
        #expect(recorder.count("failed") == 0)
        #expect(recorder.count("timedOut") == 1)
        #expect(breaker.state == .closed)
        #expect(breaker.snapshot().consecutiveFailures == 1)
    }

    @Test func cancellingTheCallerCancelsTheOperationAndDisarmsTheTimeout() async throws {
        let recorder = RecordingMonitor()
        let clock = ManualClock()
        let breaker = try breaker(timeout: .seconds(5), recorder: recorder, clock: clock)
        let sawCancellation = Gate()
        let task = Task {
            try await breaker.execute { try await Self.untilCancelled(clock, sawCancellation: sawCancellation) }
        }
        await clock.waitForSleepers(2)
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
        // The caller's cancellation took the deadline out and cancelled the operation (ending its sleep) before
        // the caller was answered.
        #expect(clock.sleeperCount == 0)
        await sawCancellation.waitAsync()
        #expect(sawCancellation.isOpen)
        clock.advance(by: .seconds(5))
        #expect(recorder.count("timedOut") == 0)
        #expect(recorder.count("ignored") == 1)
    }

    @Test func aCallerCancelledBeforeTheCallGetsCancellationErrorAndTheOperationSeesIt() async throws {
        let recorder = RecordingMonitor()
        let clock = ManualClock()
        let breaker = try breaker(timeout: .seconds(5), recorder: recorder, clock: clock)
        let sawCancellation = Gate()
        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            // As today, the operation still starts, and its task is cancelled: only that ends its sleep.
            return try await breaker.execute { try await Self.untilCancelled(clock, sawCancellation: sawCancellation) }
        }
        await #expect(throws: CancellationError.self) { try await task.value }
        #expect(clock.sleeperCount == 0, "no deadline was armed for a call already over")
        await sawCancellation.waitAsync()
        #expect(sawCancellation.isOpen)
        #expect(recorder.count("ignored") == 1)
        #expect(recorder.count("succeeded") == 0)
    }
}

/// A value that opens a gate when the last reference to it goes: when the timeout race has dropped it.
final class LateValue: Sendable {
    let onDrop: Gate

    init(onDrop: Gate) {
        self.onDrop = onDrop
    }

    deinit { onDrop.open() }
}

/// An error that opens a gate when the last reference to it goes.
final class LateFailure: Error, Sendable {
    let onDrop: Gate

    init(onDrop: Gate) {
        self.onDrop = onDrop
    }

    deinit { onDrop.open() }
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
