import CircuitBreakerInternals
import Synchronization

/// The call-duration histograms of one breaker, one per ``ExecutedOutcome``, recorded without a lock.
///
/// swift-prometheus 2.4.1 records a histogram observation under a lock (`NIOLockedValueBox`) and updates every
/// bucket at or above the value; the monitor's hot path must touch only atomics. Here an observation is two relaxed
/// atomic adds: one on the (non-cumulative) bucket the duration falls in, one on the sum in nanoseconds. The
/// cumulative `le` counts and `_count` are computed when rendering, from one reading of every bucket, so a scrape
/// is always internally consistent (`le="+Inf"` equals `_count`).
///
/// All counters live in one allocation: `outcomes × (bounds + 1)` bucket counts (the last bucket of each outcome
/// is the overflow above the highest bound), then one sum per outcome.
final class DurationHistograms: @unchecked Sendable {
    // Why `@unchecked Sendable` is safe: `cells` is allocated and initialised in `init`, never reassigned, and
    // deinitialised and freed in `deinit`, when no other reference exists. Between the two, every access reads or
    // writes an `Atomic` through its atomic operations, which are data-race free by definition; `bounds` and
    // `bucketCount` are immutable.

    /// Upper bounds of the buckets in nanoseconds, ascending, without `+Inf`.
    let bounds: [Int64]
    /// Buckets per outcome: `bounds.count + 1`.
    let bucketCount: Int
    private let cells: UnsafeMutablePointer<Atomic<Int64>>
    private let cellCount: Int

    private static let outcomeCount = ExecutedOutcome.allCases.count

    /// Creates zeroed histograms with the given ascending upper bounds (nanoseconds).
    init(bounds: [Int64]) {
        self.bounds = bounds
        self.bucketCount = bounds.count + 1
        self.cellCount = Self.outcomeCount * (bounds.count + 1) + Self.outcomeCount
        self.cells = .allocate(capacity: cellCount)
        for index in 0..<cellCount {
            (cells + index).initialize(to: Atomic(0))
        }
    }

    deinit {
        cells.deinitialize(count: cellCount)
        cells.deallocate()
    }

    /// Records one call of `outcome` that took `duration`. Two relaxed atomic adds; no lock, no allocation.
    @inline(__always)
    func record(_ duration: Duration, outcome: ExecutedOutcome) {
        let nanoseconds = max(duration.nanoseconds, 0)
        var bucket = 0
        let count = bounds.count
        while bucket < count && nanoseconds > bounds[bucket] {
            bucket &+= 1
        }
        let base = outcome.rawValue &* bucketCount
        cells[base &+ bucket].wrappingAdd(1, ordering: .relaxed)
        cells[Self.outcomeCount &* bucketCount &+ outcome.rawValue].wrappingAdd(nanoseconds, ordering: .relaxed)
    }

    /// The number of observations of `outcome` in bucket `bucket` alone (not cumulative).
    func count(_ outcome: ExecutedOutcome, bucket: Int) -> Int64 {
        cells[outcome.rawValue &* bucketCount &+ bucket].load(ordering: .relaxed)
    }

    /// The sum of the observed durations of `outcome`, in nanoseconds.
    func sumNanoseconds(_ outcome: ExecutedOutcome) -> Int64 {
        cells[Self.outcomeCount &* bucketCount &+ outcome.rawValue].load(ordering: .relaxed)
    }
}
