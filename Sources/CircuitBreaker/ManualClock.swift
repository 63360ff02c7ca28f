import CircuitBreakerInternals
import Synchronization

/// A clock for tests: time stands still until ``advance(by:)`` moves it.
///
/// Give it to a breaker with ``BreakerClock/manual(_:)``. Monotonic and wall-clock readings move together. Sleeps on
/// it, and the invocation timeouts of the breakers that read it, end only when the clock is advanced past their
/// deadline, so a test decides when a timeout happens:
///
/// ```swift
/// let clock = ManualClock()
/// let call = Task { try await breaker.execute { try await slowOperation() } }
/// await clock.waitForSleepers(1)          // the timeout's deadline is armed
/// clock.advance(by: .milliseconds(100))   // … and now it fires
/// ```
///
/// Both kinds of waiting count as *sleepers* (``sleeperCount``, ``waitForSleepers(_:)``): a sleep in progress,
/// and an invocation timeout armed for a call in flight. A call that ends before its deadline takes its timeout
/// away at once, so it no longer counts when the call returns.
public final class ManualClock: Sendable {
    @usableFromInline
    let storage: Atomic<Int64>
    private let wallClockOrigin: Double
    /// The sleeps and invocation timeouts armed on this clock; ``advance(by:)`` expires them.
    @usableFromInline
    let deadlines = DeadlineScheduler(driver: .manual)

    /// Creates a clock at monotonic time zero whose wall clock reads `wallClockOrigin` seconds since 1970.
    public init(wallClockOrigin: Double = 1_700_000_000) {
        self.storage = Atomic(0)
        self.wallClockOrigin = wallClockOrigin
    }

    /// How far the clock has been advanced since it was made.
    public var elapsed: Duration { .nanoseconds(nanoseconds) }

    /// The current monotonic reading in nanoseconds: the scale of ``BreakerClock``'s readings, for the package's own
    /// modules (the API is ``elapsed``).
    @inlinable
    package var nanoseconds: Int64 { storage.load(ordering: .acquiring) }

    /// The current wall-clock reading in seconds since the Unix epoch.
    public var wallClockSeconds: Double { wallClockOrigin + Double(nanoseconds) / 1e9 }

    /// Moves time forward and ends every sleep and invocation timeout whose deadline it reaches, earliest first; a
    /// negative duration is ignored, so the clock stays monotonic. A timeout that ends cancels its operation and
    /// answers its caller with ``CallTimeoutError`` before this returns; the caller's task runs when the executor
    /// gets to it.
    public func advance(by duration: Duration) {
        let nanos = duration.nanoseconds
        guard nanos > 0 else { return }
        let now = storage.add(nanos, ordering: .releasing).newValue
        deadlines.advance(to: now)
    }

    /// The number of sleepers: sleeps in progress, and invocation timeouts armed for calls in flight.
    public var sleeperCount: Int {
        deadlines.armedCount
    }

    /// Returns once at least `count` sleepers (sleeps in progress and armed invocation timeouts) are waiting on this
    /// clock, so that a test advances time only after the timer it means to fire was armed.
    public func waitForSleepers(_ count: Int = 1) async {
        await deadlines.waitForArmed(count)
    }

    /// Suspends until the clock has been advanced by `duration` from now; throws `CancellationError` when the task
    /// is cancelled first.
    public func sleep(for duration: Duration) async throws {
        let (sum, overflow) = nanoseconds.addingReportingOverflow(max(duration.nanoseconds, 0))
        let deadline = overflow ? Int64.max : sum
        let sleep = ManualSleep()
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let armed = deadlines.mutex.withLock { () -> Bool? in
                    if sleep.claimed || Task.isCancelled {
                        sleep.claimed = true
                        return nil
                    }
                    sleep.continuation = continuation
                    return deadlines.armLocked(sleep, at: deadline)
                }
                switch armed {
                case nil: continuation.resume(throwing: CancellationError())
                case false: sleep.expire()
                case true: break
                }
            }
        } onCancel: {
            let continuation = deadlines.mutex.withLock { () -> CheckedContinuation<Void, any Error>? in
                guard deadlines.claimLocked(sleep) else { return nil }
                defer { sleep.continuation = nil }
                return sleep.continuation
            }
            continuation?.resume(throwing: CancellationError())
        }
    }
}

/// A sleep on a ``ManualClock``: its deadline ends it, unless the sleeping task's cancellation claims it first.
// Safety (@unchecked Sendable): `continuation` is written with the clock's deadline lock held, and read after a
// claim, with the lock held or (in `expire()`) after the scheduler claimed it, when no other party touches it.
final class ManualSleep: ScheduledDeadline, @unchecked Sendable {
    var continuation: CheckedContinuation<Void, any Error>?

    override func expire() {
        let continuation = self.continuation
        self.continuation = nil
        continuation?.resume()
    }
}
