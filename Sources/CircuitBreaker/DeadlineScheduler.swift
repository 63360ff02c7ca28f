import CircuitBreakerInternals

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The deadlines of one clock: a heap of armed deadlines under one lock, and what expires them. The system clock
/// has one for the whole process (``system``), served by a thread of its own; each ``ManualClock`` has one, which
/// its ``ManualClock/advance(by:)`` expires.
///
/// An invocation timeout arms its deadline here instead of starting a timer task per call. Arming and claiming
/// are a lock, a push or a removal in O(log n), and an unlock; the heap holds only the deadlines still armed (see
/// ``DeadlineHeap``).
///
/// **The protocol.** An entry is armed at most once and ends exactly once, by whoever *claims* it first, under the
/// lock: the scheduler when its deadline passes (it then calls ``ScheduledDeadline/expire()`` after unlocking), or
/// the owner finishing it early (``claimLocked(_:)``, which also takes it out of the heap). An entry is in the heap
/// if and only if it is armed and unclaimed, so a claimed entry can never expire and an expired one never be
/// claimed again.
///
/// **The thread** (``system`` only) starts at the first arming and then lives as long as the process, which it
/// does not keep alive: the process ends when its main code does, whatever this thread is doing. It waits on the
/// lock's condition until the earliest deadline, or without a time limit while the heap is empty, so an idle
/// scheduler costs nothing. An arming wakes it only when the new deadline is earlier than the one it sleeps
/// towards: a call whose deadline is later than some armed deadline (the common case: one breaker's calls share a
/// timeout) pays no system call. A deadline that leaves the heap early may make the thread wake once for nothing,
/// after which it sleeps towards the next one. A thread rather than a task, so that timeouts still cancel
/// operations when the cooperative pool is saturated by blocked work. Expiries run on that thread: cancellation
/// handlers of the operations should be quick (as Swift asks of every cancellation handler).
// Safety (@unchecked Sendable): every `var` below, and the guarded fields of the entries armed here, are read and
// written only with `mutex` held (which also makes every access exclusive: the dynamic exclusivity checks are left
// out); the thread reads `driver` and `startThread`, which are constants.
@usableFromInline
final class DeadlineScheduler: @unchecked Sendable {
    /// How deadlines come to expire.
    enum Driver {
        /// ``advance(to:)`` expires them: a ``ManualClock``.
        case manual
        /// A thread of the scheduler's own, on the monotonic clock.
        case thread
    }

    /// The process's scheduler for ``BreakerClock/system``, on `CLOCK_MONOTONIC`.
    @usableFromInline
    static let system = DeadlineScheduler(driver: .thread)

    /// Waits longer than this are cut into pieces, so that no timed wait is given a far-future time.
    private static let longestWait: Int64 = 3_600_000_000_000

    /// After a failed thread start, the next attempt waits this long; arming in between uses a fallback task.
    private static let threadRetryInterval: Int64 = 1_000_000_000

    /// Guards the heap, the fields below and those of the entries armed here.
    let mutex = Lock()
    private let driver: Driver
    /// Starts the serving thread and says whether it started; tests replace it to see the fallback.
    private let startThread: @Sendable (DeadlineScheduler) -> Bool

    @exclusivity(unchecked) private var heap = DeadlineHeap()
    @exclusivity(unchecked) private var nextSequence: UInt64 = 0
    /// Every deadline up to this time is due: the furthest time a manual clock was advanced to.
    @exclusivity(unchecked) private var dueThrough = Int64.min
    /// Tasks waiting for a number of armed deadlines (``waitForArmed(_:)``).
    @exclusivity(unchecked) private var watchers: [(count: Int, continuation: CheckedContinuation<Void, Never>)] = []
    /// Whether the thread runs; or, after a failed start, when to try again.
    @exclusivity(unchecked) private var thread = ThreadState.notStarted
    /// When the thread will next look at the heap by itself: `.max` while it waits with no time limit, `.min` while
    /// it is awake (it looks again before it waits).
    @exclusivity(unchecked) private var wakeTarget = Int64.max

    private enum ThreadState {
        case notStarted
        case running
        case failed(retryAt: Int64)
    }

    init(driver: Driver, startThread: @escaping @Sendable (DeadlineScheduler) -> Bool = startServingThread) {
        self.driver = driver
        self.startThread = startThread
        // A manual clock starts at zero: a deadline at zero is due from the start.
        if case .manual = driver { dueThrough = 0 }
    }

    // MARK: Arming and claiming (with the lock held)

    /// Takes the lock; pair with ``unlock()``. (Methods rather than the `Lock`, which inlinable code cannot name.)
    @usableFromInline
    func lock() {
        mutex.lock()
    }

    /// Releases the lock.
    @usableFromInline
    func unlock() {
        mutex.unlock()
    }

    /// Arms `entry` to expire at `deadline`, unless that time has passed on a manual clock: then the entry is
    /// claimed at once and the caller must call its ``ScheduledDeadline/expire()`` after releasing the lock.
    /// Returns whether it was armed. `entry` must not have been armed before.
    @usableFromInline
    func armLocked(_ entry: ScheduledDeadline, at deadline: Int64) -> Bool {
        if deadline <= dueThrough {
            entry.claimed = true
            return false
        }
        entry.deadline = deadline
        entry.sequence = nextSequence
        nextSequence &+= 1
        heap.insert(entry)
        if !watchers.isEmpty { wakeWatchersLocked() }
        if case .thread = driver, deadline < wakeTarget { wakeThreadLocked(for: deadline) }
        return true
    }

    /// Claims `entry` for its owner, taking it out of the heap if it is armed. Returns `false` if it was claimed
    /// before (by the scheduler when it expired, or by another party).
    @usableFromInline
    func claimLocked(_ entry: ScheduledDeadline) -> Bool {
        guard !entry.claimed else { return false }
        entry.claimed = true
        heap.remove(entry)
        return true
    }

    // MARK: Expiring

    /// Expires every deadline at or before `now` (a manual clock's time), earliest first, and remembers `now` so
    /// that a deadline armed later but already past expires at once.
    func advance(to now: Int64) {
        let due = mutex.withLock {
            dueThrough = max(dueThrough, now)
            return takeDueLocked(now: dueThrough)
        }
        for entry in due { entry.expire() }
    }

    /// Takes out and claims the due deadlines, earliest first.
    private func takeDueLocked(now: Int64) -> [ScheduledDeadline] {
        var due: [ScheduledDeadline] = []
        while let first = heap.first, first.deadline <= now {
            _ = heap.removeFirst()
            first.claimed = true
            due.append(first)
        }
        return due
    }

    /// The thread's loop: expire what is due, then wait until the earliest deadline or an arming that comes before it.
    fileprivate func serve() -> Never {
        mutex.lock()
        while true {
            guard let first = heap.first else {
                wakeTarget = .max
                mutex.wait()
                continue
            }
            let now = BreakerClock.read(CLOCK_MONOTONIC)
            if first.deadline > now {
                wakeTarget = first.deadline
                let until = now &+ min(first.deadline &- now, Self.longestWait)
                mutex.wait(untilMonotonicNanoseconds: UInt64(clamping: until))
                continue
            }
            wakeTarget = .min
            let due = takeDueLocked(now: now)
            mutex.unlock()
            for entry in due { entry.expire() }
            mutex.lock()
        }
    }

    private func wakeThreadLocked(for deadline: Int64) {
        switch thread {
        case .running:
            wakeTarget = deadline
            mutex.signal()
        case .notStarted:
            startThreadOrFallBackLocked(for: deadline)
        case .failed(let retryAt):
            if BreakerClock.read(CLOCK_MONOTONIC) >= retryAt {
                startThreadOrFallBackLocked(for: deadline)
            } else {
                expireWithFallbackTask(at: deadline)
            }
        }
    }

    private func startThreadOrFallBackLocked(for deadline: Int64) {
        if startThread(self) {
            // The thread takes the lock once this arming releases it, and sees the new deadline.
            thread = .running
            wakeTarget = .min
        } else {
            thread = .failed(retryAt: BreakerClock.read(CLOCK_MONOTONIC) &+ Self.threadRetryInterval)
            expireWithFallbackTask(at: deadline)
        }
    }

    /// When the system refuses a thread: a task that sleeps until `deadline` and expires what is due then. Slower
    /// (a task per arming that needs a wake-up) but correct, until a thread starts.
    private func expireWithFallbackTask(at deadline: Int64) {
        Task.detached { [self] in
            // `Task.sleep` measures another clock (continuous, not monotonic): sleep again until ours agrees.
            var now = BreakerClock.read(CLOCK_MONOTONIC)
            while deadline > now {
                try? await Task.sleep(for: .nanoseconds(deadline &- now))
                now = BreakerClock.read(CLOCK_MONOTONIC)
            }
            let due = mutex.withLock { takeDueLocked(now: now) }
            for entry in due { entry.expire() }
        }
    }

    // MARK: Observing (tests)

    /// The number of armed deadlines.
    var armedCount: Int {
        mutex.withLock { heap.count }
    }

    /// The number of armed deadlines for which `predicate` holds.
    func armedCount(where predicate: (ScheduledDeadline) -> Bool) -> Int {
        mutex.withLock { heap.count(where: predicate) }
    }

    /// Whether the heap is well formed (tests).
    var isConsistent: Bool {
        mutex.withLock { heap.isConsistent }
    }

    /// Returns once at least `count` deadlines are armed.
    func waitForArmed(_ count: Int) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            mutex.withLock {
                if heap.count >= count {
                    continuation.resume()
                } else {
                    watchers.append((count, continuation))
                }
            }
        }
    }

    /// Resumes the watchers whose count is reached. Resuming only schedules their tasks, so it is safe under the
    /// lock.
    private func wakeWatchersLocked() {
        let armed = heap.count
        watchers.removeAll { watcher in
            guard watcher.count <= armed else { return false }
            watcher.continuation.resume()
            return true
        }
    }
}

/// Starts the detached thread that serves `scheduler`; returns whether the system gave one.
private func startServingThread(_ scheduler: DeadlineScheduler) -> Bool {
    let argument = Unmanaged.passRetained(scheduler).toOpaque()
    var attributes = pthread_attr_t()
    pthread_attr_init(&attributes)
    defer { pthread_attr_destroy(&attributes) }
    pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
    #if canImport(Darwin)
    var thread: pthread_t?
    let result = pthread_create(&thread, &attributes, serveDeadlines, argument)
    #else
    var thread = pthread_t()
    let result = pthread_create(&thread, &attributes, serveDeadlines, argument)
    #endif
    if result != 0 {
        Unmanaged<DeadlineScheduler>.fromOpaque(argument).release()
        return false
    }
    return true
}

#if canImport(Darwin)
private func serveDeadlines(_ argument: UnsafeMutableRawPointer) -> UnsafeMutableRawPointer? {
    Unmanaged<DeadlineScheduler>.fromOpaque(argument).takeUnretainedValue().serve()
}
#else
private func serveDeadlines(_ argument: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    guard let argument else { return nil }
    // The retained reference passed in is never released: the thread serves the scheduler for good.
    Unmanaged<DeadlineScheduler>.fromOpaque(argument).takeUnretainedValue().serve()
}
#endif
