#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The package's one lock: a `pthread_mutex_t` with a condition variable, shared by every module.
///
/// A pthread mutex rather than `Synchronization.Mutex`, because ThreadSanitizer cannot see how that mutex orders
/// memory on Linux (its futex-based implementation lives in the uninstrumented standard library): a 15-line probe
/// that appends to a Mutex-protected array from four threads is reported as a data race although the count comes
/// out exact. ThreadSanitizer intercepts `pthread_mutex_*` and `pthread_cond_*`, so with this lock everywhere, a
/// sanitizer run over every test target means something.
///
/// The condition variable is for the few places that wait for work (a render thread, a test that waits for an
/// event); ``wait()`` and ``wait(untilMonotonicNanoseconds:)`` must be called with the lock held.
// Safety (@unchecked Sendable): the mutex and the condition are allocated in `init`, never move, and are destroyed
// in `deinit`, when no other reference exists; between the two they are only used through the pthread functions,
// which are thread-safe by definition.
package final class Lock: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let condition: UnsafeMutablePointer<pthread_cond_t>

    /// Creates an unlocked lock.
    package init() {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
        condition = .allocate(capacity: 1)
        condition.initialize(to: pthread_cond_t())
        #if os(Linux)
        // Timed waits measure the monotonic clock, so that a wall-clock step neither shortens nor stretches them.
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(condition, &attributes)
        pthread_condattr_destroy(&attributes)
        #else
        pthread_cond_init(condition, nil)
        #endif
    }

    deinit {
        pthread_cond_destroy(condition)
        condition.deinitialize(count: 1)
        condition.deallocate()
        pthread_mutex_destroy(mutex)
        mutex.deinitialize(count: 1)
        mutex.deallocate()
    }

    /// Acquires the lock; pair with ``unlock()``. Prefer ``withLock(_:)``.
    package func lock() {
        pthread_mutex_lock(mutex)
    }

    /// Releases the lock.
    package func unlock() {
        pthread_mutex_unlock(mutex)
    }

    /// Runs `body` while holding the lock.
    @inline(__always)
    package func withLock<Result, Failure: Error>(_ body: () throws(Failure) -> Result) throws(Failure) -> Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }

    /// Releases the lock, waits for ``signal()`` or ``broadcast()``, and takes the lock again. Wake-ups may be
    /// spurious: wait in a loop that checks the condition.
    package func wait() {
        pthread_cond_wait(condition, mutex)
    }

    /// Like ``wait()``, but returns at the latest when the monotonic clock reaches `deadline` nanoseconds.
    package func wait(untilMonotonicNanoseconds deadline: UInt64) {
        var time = timespec(tv_sec: Int(deadline / 1_000_000_000), tv_nsec: Int(deadline % 1_000_000_000))
        #if os(Linux)
        pthread_cond_timedwait(condition, mutex, &time)
        #else
        // Darwin's condition variables measure the wall clock: wait for the remaining time instead.
        let now = MonotonicTime.nanoseconds()
        let remaining = deadline > now ? deadline - now : 0
        time = timespec(tv_sec: Int(remaining / 1_000_000_000), tv_nsec: Int(remaining % 1_000_000_000))
        pthread_cond_timedwait_relative_np(condition, mutex, &time)
        #endif
    }

    /// Wakes one waiter. Call with the lock held.
    package func signal() {
        pthread_cond_signal(condition)
    }

    /// Wakes every waiter. Call with the lock held.
    package func broadcast() {
        pthread_cond_broadcast(condition)
    }
}

/// A value that is only reached under a ``Lock``.
// Safety (@unchecked Sendable): `value` is read and written only inside `withLock`, with `lock` held.
package final class Locked<Value>: @unchecked Sendable {
    /// The lock guarding the value; use it directly only to wait on its condition.
    package let lock = Lock()
    private var value: Value

    /// Creates the box.
    package init(_ value: Value) {
        self.value = value
    }

    /// Runs `body` with exclusive access to the value.
    @inline(__always)
    package func withLock<Result, Failure: Error>(
        _ body: (inout Value) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        try lock.withLock { () throws(Failure) -> Result in try body(&value) }
    }

    /// Waits, with the lock held by a `withLock` body of this box, until `condition` holds or the monotonic clock
    /// reaches `deadline`; returns whether the condition holds. Other threads change the value in `withLock` and
    /// call ``broadcast()``.
    package func wait(
        until condition: (Value) -> Bool,
        deadlineMonotonicNanoseconds deadline: UInt64
    ) -> Bool {
        lock.withLock {
            while !condition(value) {
                if MonotonicTime.nanoseconds() >= deadline { return false }
                lock.wait(untilMonotonicNanoseconds: deadline)
            }
            return true
        }
    }

    /// Changes the value and wakes every thread waiting in ``wait(until:deadlineMonotonicNanoseconds:)``.
    package func updateAndBroadcast<Result>(_ body: (inout Value) -> Result) -> Result {
        lock.withLock {
            let result = body(&value)
            lock.broadcast()
            return result
        }
    }
}
