import CircuitBreakerInternals

/// The call-duration histograms of one breaker, one per ``ExecutedOutcome``, recorded without a lock.
///
/// swift-prometheus 2.4.1 records a histogram observation under a lock (`NIOLockedValueBox`) and updates every
/// bucket at or above the value; the monitor's hot path must touch only atomics. Here an observation is two relaxed
/// atomic adds: one on the (non-cumulative) bucket the duration falls in, one on the sum in nanoseconds. The
/// cumulative `le` counts and `_count` are computed when rendering, from one reading of every bucket, so a scrape
/// is always internally consistent (`le="+Inf"` equals `_count`).
///
/// All counters live in one ``AtomicCells`` block: `outcomes × (bounds + 1)` bucket counts (the last bucket of each
/// outcome is the overflow above the highest bound), then one sum per outcome.
final class DurationHistograms: Sendable {
    /// Upper bounds of the buckets in nanoseconds, ascending, without `+Inf`.
    let bounds: [Int64]
    /// Buckets per outcome: `bounds.count + 1`.
    let bucketCount: Int
    private let cells: AtomicCells

    private static let outcomeCount = ExecutedOutcome.allCases.count

    /// Creates zeroed histograms with the given ascending upper bounds (nanoseconds).
    init(bounds: [Int64]) {
        self.bounds = bounds
        self.bucketCount = bounds.count + 1
        self.cells = AtomicCells(count: Self.outcomeCount * (bounds.count + 1) + Self.outcomeCount)
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
        cells.increment(outcome.rawValue &* bucketCount &+ bucket)
        cells.add(UInt64(nanoseconds), at: Self.outcomeCount &* bucketCount &+ outcome.rawValue)
    }

    /// The number of observations of `outcome` in bucket `bucket` alone (not cumulative).
    func count(_ outcome: ExecutedOutcome, bucket: Int) -> Int64 {
        Int64(bitPattern: cells.load(outcome.rawValue &* bucketCount &+ bucket))
    }

    /// The sum of the observed durations of `outcome`, in nanoseconds.
    func sumNanoseconds(_ outcome: ExecutedOutcome) -> Int64 {
        Int64(bitPattern: cells.load(Self.outcomeCount &* bucketCount &+ outcome.rawValue))
    }
}
