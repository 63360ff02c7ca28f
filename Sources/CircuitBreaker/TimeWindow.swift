import CircuitBreakerInternals
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The outcomes of the last `duration`, in a fixed ring of buckets, striped so that threads do not contend.
///
/// A call adds to the counters of the bucket its (coarse) time falls in, in the stripe its thread hashes to; each
/// stripe sits on cache lines of its own, so two threads recording at once do not bounce a line between cores
/// (unstriped, two threads recorded slower together than one alone). Order does not matter in a time window, so
/// striping changes no total: the totals sum every stripe. When time reaches a bucket that has not been opened
/// yet, one caller, under a small lock, clears the buckets that have slid out of the window (in every stripe) and
/// publishes the new head; everyone else only adds. A call that read the clock before a rotation and adds after
/// it can land one count in a bucket that was just reused; that needs a thread to stall for a whole window.
///
/// Noncopyable and stored inline in the breaker, so that the per-call path reaches it without reference counting.
// Safety (@unchecked Sendable): `counters` is allocated in init, freed in deinit and never reassigned; every access
// to its memory goes through the atomics stored there.
@usableFromInline
struct TimeWindow: ~Copyable, @unchecked Sendable {
    @usableFromInline
    let bucketNanos: Int64
    @usableFromInline
    let bucketCount: Int
    /// Stripes (a power of two) and the mask that picks one from a hash.
    @usableFromInline
    let stripeMask: Int
    /// Counters between the starts of two stripes: three per bucket, rounded up to whole cache lines.
    @usableFromInline
    let stripeStride: Int
    /// `stripes × stripeStride` counters; in a stripe, bucket `b` has calls at `3b`, failures at `3b + 1` and
    /// slow calls at `3b + 2`.
    @usableFromInline
    let counters: UnsafeMutablePointer<Atomic<Int>>
    /// The newest bucket epoch (time / bucket width) that has been opened, shifted left 16 bits, with its bucket
    /// index (epoch modulo the bucket count) in the low 16 bits: a call that falls in the head bucket, nearly every
    /// call, finds its bucket with a multiplication instead of two divisions.
    @usableFromInline
    let head: Atomic<UInt64>
    private let rotation = Locked<Void>(())

    /// A window of `buckets` buckets over `duration`; 0 buckets for a breaker whose policy has no time window.
    init(duration: Duration, buckets: Int, now: Int64) {
        bucketCount = buckets
        bucketNanos = max(duration.nanoseconds / Int64(max(buckets, 1)), 1)
        let stripes = buckets == 0 ? 1 : Self.stripeCount()
        stripeMask = stripes - 1
        let perLine = 64 / MemoryLayout<Atomic<Int>>.stride
        stripeStride = (3 * buckets + perLine - 1) / perLine * perLine
        let count = stripes * stripeStride
        let raw = UnsafeMutableRawPointer.allocate(
            byteCount: max(count, 1) * MemoryLayout<Atomic<Int>>.stride,
            alignment: 64
        )
        counters = raw.bindMemory(to: Atomic<Int>.self, capacity: max(count, 1))
        for index in 0..<count {
            (counters + index).initialize(to: Atomic(0))
        }
        head = Atomic(Self.headWord(epoch: now / bucketNanos, bucketCount: buckets))
    }

    @inlinable
    static func headWord(epoch: Int64, bucketCount: Int) -> UInt64 {
        UInt64(max(epoch, 0)) << 16 | UInt64(bucketCount == 0 ? 0 : Int(epoch % Int64(bucketCount)))
    }

    @inlinable
    static func epoch(of word: UInt64) -> Int64 { Int64(word >> 16) }

    deinit {
        counters.deinitialize(count: (stripeMask + 1) * stripeStride)
        UnsafeMutableRawPointer(counters).deallocate()
    }

    /// Twice the processors, as a power of two between 8 and 32: few enough to sum cheaply, enough that two
    /// threads rarely share a stripe.
    private static func stripeCount() -> Int {
        let processors = max(Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))), 1)
        var stripes = 8
        while stripes < 2 * processors && stripes < 32 { stripes *= 2 }
        return stripes
    }

    /// The stripe of the calling thread: a multiplicative hash of its thread handle.
    @inlinable
    var currentStripe: Int {
        #if os(Linux)
        let handle = UInt64(pthread_self())
        #else
        let handle = UInt64(UInt(bitPattern: pthread_self()))
        #endif
        return Int(truncatingIfNeeded: (handle &* 0x9E37_79B9_7F4A_7C15) >> 40) & stripeMask
    }

    /// Records one outcome at monotonic time `now`.
    @inlinable
    func record(now: Int64, failure: Bool, slow: Bool) {
        let word = head.load(ordering: .acquiring)
        let headStart = Self.epoch(of: word) &* bucketNanos
        let index: Int
        if now >= headStart && now &- headStart < bucketNanos {
            index = Int(word & 0xFFFF)
        } else {
            let epoch = now / bucketNanos
            let current = Self.epoch(of: word)
            if epoch > current {
                rotate(to: epoch)
            } else if epoch <= current - Int64(bucketCount) {
                return
            }
            index = Int(epoch % Int64(bucketCount))
        }
        let bucket = counters + currentStripe * stripeStride + 3 * index
        bucket[0].add(1, ordering: .relaxed)
        if failure { bucket[1].add(1, ordering: .relaxed) }
        if slow { bucket[2].add(1, ordering: .relaxed) }
    }

    /// Opens the buckets up to `epoch`, clearing those that slid out of the window.
    @usableFromInline
    func rotate(to epoch: Int64) {
        rotation.withLock { _ in
            let current = Self.epoch(of: head.load(ordering: .relaxed))
            guard epoch > current else { return }
            let first = max(current + 1, epoch - Int64(bucketCount) + 1)
            for stale in first...epoch {
                clear(bucket: Int(stale % Int64(bucketCount)))
            }
            head.store(Self.headWord(epoch: epoch, bucketCount: bucketCount), ordering: .releasing)
        }
    }

    private func clear(bucket: Int) {
        for stripe in 0...stripeMask {
            let counters = counters + stripe * stripeStride + 3 * bucket
            counters[0].store(0, ordering: .relaxed)
            counters[1].store(0, ordering: .relaxed)
            counters[2].store(0, ordering: .relaxed)
        }
    }

    /// The totals of the window ending at `now`.
    @usableFromInline
    func totals(now: Int64) -> WindowTotals {
        let epoch = now / bucketNanos
        if epoch > Self.epoch(of: head.load(ordering: .acquiring)) { rotate(to: epoch) }
        var totals = (calls: 0, failures: 0, slow: 0)
        for stripe in 0...stripeMask {
            let counters = counters + stripe * stripeStride
            for bucket in 0..<bucketCount {
                totals.calls += counters[3 * bucket].load(ordering: .relaxed)
                totals.failures += counters[3 * bucket + 1].load(ordering: .relaxed)
                totals.slow += counters[3 * bucket + 2].load(ordering: .relaxed)
            }
        }
        return WindowTotals(calls: totals.calls, failures: totals.failures, slowCalls: totals.slow)
    }

    /// ``totals(now:)``, and the coarse time until which the totals cannot change without a call: when the oldest
    /// bucket that holds calls slides out of the window (`Int64.max` for an empty window). For exporters, which
    /// reuse what they rendered of a breaker while its series have no reason to change (the same loads as
    /// ``totals(now:)``, bucket by bucket).
    func totalsAndStability(now: Int64) -> (totals: WindowTotals, stableUntil: Int64) {
        let epoch = now / bucketNanos
        if epoch > Self.epoch(of: head.load(ordering: .acquiring)) { rotate(to: epoch) }
        let headEpoch = Self.epoch(of: head.load(ordering: .acquiring))
        var totals = (calls: 0, failures: 0, slow: 0)
        var oldest = Int64.max
        for bucket in 0..<bucketCount {
            var calls = 0
            for stripe in 0...stripeMask {
                let counters = counters + stripe * stripeStride + 3 * bucket
                calls += counters[0].load(ordering: .relaxed)
                totals.failures += counters[1].load(ordering: .relaxed)
                totals.slow += counters[2].load(ordering: .relaxed)
            }
            totals.calls += calls
            guard calls != 0 else { continue }
            // The bucket's epoch: the latest at or before the head's that maps to it.
            let back = (Int64(Int(headEpoch % Int64(bucketCount)) - bucket) + Int64(bucketCount)) % Int64(bucketCount)
            oldest = min(oldest, headEpoch - back)
        }
        let stableUntil =
            oldest == .max
            ? Int64.max : (oldest + Int64(bucketCount)).multipliedReportingOverflow(by: bucketNanos).partialValue
        return (WindowTotals(calls: totals.calls, failures: totals.failures, slowCalls: totals.slow), stableUntil)
    }

    /// Empties the window. Called under the breaker's lock at a transition to closed.
    func reset(now: Int64) {
        rotation.withLock { _ in
            for bucket in 0..<bucketCount { clear(bucket: bucket) }
            head.store(Self.headWord(epoch: now / bucketNanos, bucketCount: bucketCount), ordering: .releasing)
        }
    }
}
