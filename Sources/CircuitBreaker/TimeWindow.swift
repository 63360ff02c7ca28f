import Synchronization

/// The outcomes of the last `duration`, in a fixed ring of buckets.
///
/// A call adds to the counters of the bucket its (coarse) time falls in. When time reaches a bucket that has not
/// been opened yet, one caller, under a small lock, clears the buckets that have slid out of the window and
/// publishes the new head; everyone else only adds. A call that read the clock before a rotation and adds after
/// it can land one count in a bucket that was just reused; that needs a thread to stall for a whole window.
/// Noncopyable and stored inline in the breaker, so that the per-call path reaches it without reference counting.
// Safety (@unchecked Sendable): the three buffers are allocated in init, freed in deinit and never reassigned;
// every access to their memory goes through the atomics stored there.
@usableFromInline
struct TimeWindow: ~Copyable, @unchecked Sendable {
    @usableFromInline
    let bucketNanos: Int64
    @usableFromInline
    let bucketCount: Int
    @usableFromInline
    let calls: UnsafeMutablePointer<Atomic<Int>>
    @usableFromInline
    let failures: UnsafeMutablePointer<Atomic<Int>>
    @usableFromInline
    let slowCalls: UnsafeMutablePointer<Atomic<Int>>
    /// The newest bucket epoch (time / bucket width) that has been opened.
    @usableFromInline
    let head: Atomic<Int64>
    private let rotation = Locked<Void>(())

    /// A window of `buckets` buckets over `duration`; 0 buckets for a breaker whose policy has no time window.
    init(duration: Duration, buckets: Int, now: Int64) {
        bucketCount = buckets
        bucketNanos = max(duration.nanoseconds / Int64(max(buckets, 1)), 1)
        calls = .allocate(capacity: buckets)
        failures = .allocate(capacity: buckets)
        slowCalls = .allocate(capacity: buckets)
        for index in 0..<buckets {
            (calls + index).initialize(to: Atomic(0))
            (failures + index).initialize(to: Atomic(0))
            (slowCalls + index).initialize(to: Atomic(0))
        }
        head = Atomic(now / max(duration.nanoseconds / Int64(max(buckets, 1)), 1))
    }

    deinit {
        calls.deinitialize(count: bucketCount)
        calls.deallocate()
        failures.deinitialize(count: bucketCount)
        failures.deallocate()
        slowCalls.deinitialize(count: bucketCount)
        slowCalls.deallocate()
    }

    /// Records one outcome at monotonic time `now`.
    @inlinable
    func record(now: Int64, failure: Bool, slow: Bool) {
        let epoch = now / bucketNanos
        let current = head.load(ordering: .acquiring)
        if epoch > current {
            rotate(to: epoch)
        } else if epoch <= current - Int64(bucketCount) {
            return
        }
        let index = Int(epoch % Int64(bucketCount))
        calls[index].add(1, ordering: .relaxed)
        if failure { failures[index].add(1, ordering: .relaxed) }
        if slow { slowCalls[index].add(1, ordering: .relaxed) }
    }

    /// Opens the buckets up to `epoch`, clearing those that slid out of the window.
    @usableFromInline
    func rotate(to epoch: Int64) {
        rotation.withLock { _ in
            let current = head.load(ordering: .relaxed)
            guard epoch > current else { return }
            let first = max(current + 1, epoch - Int64(bucketCount) + 1)
            for stale in first...epoch {
                let index = Int(stale % Int64(bucketCount))
                calls[index].store(0, ordering: .relaxed)
                failures[index].store(0, ordering: .relaxed)
                slowCalls[index].store(0, ordering: .relaxed)
            }
            head.store(epoch, ordering: .releasing)
        }
    }

    /// The totals of the window ending at `now`.
    @usableFromInline
    func totals(now: Int64) -> WindowTotals {
        let epoch = now / bucketNanos
        if epoch > head.load(ordering: .acquiring) { rotate(to: epoch) }
        var totals = (calls: 0, failures: 0, slow: 0)
        for index in 0..<bucketCount {
            totals.calls += calls[index].load(ordering: .relaxed)
            totals.failures += failures[index].load(ordering: .relaxed)
            totals.slow += slowCalls[index].load(ordering: .relaxed)
        }
        return WindowTotals(calls: totals.calls, failures: totals.failures, slowCalls: totals.slow)
    }

    /// Empties the window. Called under the breaker's lock at a transition to closed.
    func reset(now: Int64) {
        rotation.withLock { _ in
            for index in 0..<bucketCount {
                calls[index].store(0, ordering: .relaxed)
                failures[index].store(0, ordering: .relaxed)
                slowCalls[index].store(0, ordering: .relaxed)
            }
            head.store(now / bucketNanos, ordering: .releasing)
        }
    }
}
