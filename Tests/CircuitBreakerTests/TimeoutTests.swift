import CircuitBreakerInternals
import CircuitBreaker
import CircuitBreakerTestKit
import Foundation
import Testing

@Suite struct TimeoutTests {
    func breaker(timeout: Duration, recorder: RecordingMonitor) throws -> CircuitBreaker {
        try CircuitBreaker(
            name: "slow-dependency",
            configuration: CircuitBreaker.Configuration(
                trip: .consecutiveFailures(2),
                openWait: .fixed(.seconds(30)),
                invocationTimeout: timeout
            ),
            monitors: [recorder]
        )
    }

    @Test func timeoutFailsPromptlyEvenWhenTheOperationIgnoresCancellation() async throws {
        let recorder = RecordingMonitor()
        let breaker = try breaker(timeout: .milliseconds(100), recorder: recorder)
        let started = ContinuousClock.now
        do {
            _ = try await breaker.execute {
                // Ignores cancellation: a blocking sleep on a thread of its own.
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    Thread.detachNewThread {
                        Thread.sleep(forTimeInterval: 10)
                        continuation.resume()
                    }
                }
                return 1
            }
            Issue.record("the call did not time out")
        } catch let error as CallTimeoutError {
            #expect(error.breakerName == "slow-dependency")
            #expect(error.timeout == .milliseconds(100))
        }
        let elapsed = ContinuousClock.now - started
        // The operation takes 10 s; the bound leaves room for a cooperative pool that other tests keep busy (two
        // threads on this machine) while still proving the caller did not wait for the operation.
        #expect(elapsed < .seconds(5), "the caller got the timeout long before the operation finished (\(elapsed))")
        #expect(recorder.count("timedOut") == 1)
    }

    @Test func timeoutCancelsACooperativeOperationAndCountsAsFailure() async throws {
        let recorder = RecordingMonitor()
        let breaker = try breaker(timeout: .milliseconds(50), recorder: recorder)
        let sawCancellation = SendableFlag()
        for _ in 0..<2 {
            _ = try? await breaker.execute {
                do {
                    try await Task.sleep(for: .seconds(10))
                } catch {
                    sawCancellation.set()
                    throw error
                }
                return 0
            }
        }
        #expect(breaker.state == .open, "two timeouts are two failures")
        // The cancellation reaches the operation's task shortly after the timeout.
        for _ in 0..<100 where !sawCancellation.value { try await Task.sleep(for: .milliseconds(10)) }
        #expect(sawCancellation.value)
        #expect(recorder.count("timedOut") == 2)
    }

    @Test func fastOperationsAreUnaffected() async throws {
        let recorder = RecordingMonitor()
        let breaker = try breaker(timeout: .seconds(5), recorder: recorder)
        let value = try await breaker.execute { () async throws -> Int in 42 }
        #expect(value == 42)
        await #expect(throws: DependencyDown.self) {
            try await breaker.execute { () async throws -> Int in throw DependencyDown() }
        }
        #expect(recorder.count("succeeded") == 1)
        #expect(recorder.count("failed") == 1)
    }

    @Test func cancellingTheCallerIsNotAFailure() async throws {
        let recorder = RecordingMonitor()
        let breaker = try breaker(timeout: .seconds(5), recorder: recorder)
        let task = Task {
            try await breaker.execute {
                try await Task.sleep(for: .seconds(10))
                return 0
            }
        }
        try await Task.sleep(for: .milliseconds(50))
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
        #expect(recorder.count("ignored") == 1)
        #expect(recorder.count("failed") == 0)
    }
}

final class SendableFlag: Sendable {
    private let storage = Locked(false)
    var value: Bool { storage.withLock { $0 } }
    func set() { storage.withLock { $0 = true } }
}

import Synchronization
