#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A value behind a `pthread_mutex_t`.
///
/// Used instead of `Synchronization.Mutex` because ThreadSanitizer cannot see how that mutex orders memory on
/// Linux (its futex-based implementation lives in the uninstrumented standard library): a 15-line probe that
/// appends to a Mutex-protected array from four threads is reported as a data race although the count comes out
/// exact. With a pthread mutex, which ThreadSanitizer intercepts, the sanitizer run of the concurrency tests means
/// something. Only state transitions and other slow paths take this lock.
// Safety (@unchecked Sendable): `value` is read and written only inside `withLock`, between
// pthread_mutex_lock and pthread_mutex_unlock on `mutex`, which is allocated once and never moves.
final class Locked<Value: Sendable>: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private var value: Value

    init(_ value: Value) {
        self.value = value
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deinitialize(count: 1)
        mutex.deallocate()
    }

    /// Runs `body` with exclusive access to the value.
    func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }
}
