import CircuitBreakerInternals
import Synchronization

/// A clock for tests: time stands still until ``advance(by:)`` moves it.
///
/// Give it to a breaker with ``BreakerClock/manual(_:)``. Monotonic and wall-clock readings move together, and
/// sleeps on it (the invocation timeout's timer) end only when the clock is advanced past their deadline, so a
/// test decides when a timeout happens:
///
/// ```swift
/// let clock = ManualClock()
/// let call = Task { try await breaker.execute { try await slowOperation() } }
/// await clock.waitForSleepers(1)          // the timeout's timer is armed
/// clock.advance(by: .milliseconds(100))   // … and now it fires
/// ```
public final class ManualClock: Sendable {
    @usableFromInline
    let storage: Atomic<Int64>
    private let wallClockOrigin: Double
    private let sleeps = Locked(Sleeps())

    /// The sleeps in progress and the tasks waiting for a number of them.
    private struct Sleeps {
        var nextID = 0
        var sleepers: [Int: (deadline: Int64, continuation: CheckedContinuation<Void, any Error>)] = [:]
        var watchers: [(count: Int, continuation: CheckedContinuation<Void, Never>)] = []
    }

    /// Creates a clock at monotonic time zero whose wall clock reads `wallClockOrigin` seconds since 1970.
    public init(wallClockOrigin: Double = 1_700_000_000) {
        self.storage = Atomic(0)
        self.wallClockOrigin = wallClockOrigin
    }

    /// The current monotonic reading in nanoseconds.
    @inlinable
    public var nanoseconds: Int64 { storage.load(ordering: .acquiring) }

    /// The current wall-clock reading in seconds since the Unix epoch.
    public var wallClockSeconds: Double { wallClockOrigin + Double(nanoseconds) / 1e9 }

    /// Moves time forward and ends every sleep whose deadline it reaches; a negative duration is ignored, so the
    /// clock stays monotonic.
    public func advance(by duration: Duration) {
        let nanos = duration.nanoseconds
        guard nanos > 0 else { return }
        let now = storage.add(nanos, ordering: .releasing).newValue
        let due = sleeps.withLock { sleeps in
            let due = sleeps.sleepers.filter { $0.value.deadline <= now }
            for id in due.keys { sleeps.sleepers[id] = nil }
            return due.values.map(\.continuation)
        }
        for continuation in due { continuation.resume() }
    }

    /// The number of sleeps in progress.
    public var sleeperCount: Int {
        sleeps.withLock { $0.sleepers.count }
    }

    /// Returns once at least `count` sleeps are in progress on this clock, so that a test advances time only
    /// after the timer it means to fire was armed.
    public func waitForSleepers(_ count: Int = 1) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let satisfied = sleeps.withLock { sleeps in
                guard sleeps.sleepers.count < count else { return true }
                sleeps.watchers.append((count, continuation))
                return false
            }
            if satisfied { continuation.resume() }
        }
    }

    /// Suspends until the clock has been advanced by `duration` from now; throws `CancellationError` when the task
    /// is cancelled first.
    public func sleep(for duration: Duration) async throws {
        let deadline = nanoseconds &+ max(duration.nanoseconds, 0)
        let id = sleeps.withLock { sleeps in
            defer { sleeps.nextID += 1 }
            return sleeps.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let (ready, watchers) = sleeps.withLock { sleeps -> (Bool, [CheckedContinuation<Void, Never>]) in
                    if Task.isCancelled || deadline <= nanoseconds { return (true, []) }
                    sleeps.sleepers[id] = (deadline, continuation)
                    let count = sleeps.sleepers.count
                    let woken = sleeps.watchers.filter { $0.count <= count }.map(\.continuation)
                    sleeps.watchers.removeAll { $0.count <= count }
                    return (false, woken)
                }
                for watcher in watchers { watcher.resume() }
                if ready {
                    if Task.isCancelled {
                        continuation.resume(throwing: CancellationError())
                    } else {
                        continuation.resume()
                    }
                }
            }
        } onCancel: {
            let continuation = sleeps.withLock { $0.sleepers.removeValue(forKey: id)?.continuation }
            continuation?.resume(throwing: CancellationError())
        }
    }
}
