import CircuitBreakerInternals
import Synchronization

/// The call-duration histograms of one breaker as Prometheus native histograms, one per ``ExecutedOutcome``,
/// recorded without a lock.
///
/// - **Schema 2**: each power of two is split into 4 exponential buckets, so a bucket's upper bound is 2^(1/4) ≈
///   1.19 times its lower bound and a quantile Prometheus estimates from it is within that factor of the truth.
///   Bucket `i` holds the durations in (2^((i-1)/4), 2^(i/4)] seconds.
/// - **Bounded memory**: a fixed window of ``bucketCount`` buckets per outcome, from 2^-14 s (about 61 µs) to 2^9 s
///   (512 s). Shorter durations go to the zero bucket (``zeroThreshold``); longer ones are counted in the last
///   bucket (`_sum` and `_count` stay exact). An outcome's block of 94 counters (zero bucket, buckets, sum: 752
///   bytes) is allocated when the breaker first records that outcome (``LazyAtomicBlocks``), so a breaker that only
///   ever succeeds and fails carries two: at most 3,008 bytes, none at registration.
/// - **Cost**: like ``DurationHistograms``, two relaxed atomic adds per observation, one on the bucket and one on
///   the sum in nanoseconds, after one acquiring load of the outcome's block's address; the bucket index is a
///   multiplication, a few bit operations and four comparisons, where the classic histogram compares against its bounds one by one.
///   Counts are derived when rendering, from one reading of every bucket, so `_count` always equals the buckets'
///   total.
final class NativeDurationHistograms: Sendable {
    /// The schema: 2^schema buckets per power of two.
    static let schema: Int32 = 2
    /// Durations of at most this many seconds (2^-14, about 61 µs) count in the zero bucket.
    static let zeroThreshold: Double = 0x1p-14
    /// The zero threshold in whole nanoseconds: 61,035.15625 ns, so 61,035 and less.
    static let zeroThresholdNanoseconds: Int64 = 61_035
    /// The index of the first regular bucket, (2^-14, 2^(-14 + 1/4)].
    static let firstIndex = -14 * 4 + 1
    /// The index of the last bucket, (2^(9 - 1/4), 2^9]; longer durations are counted in it too.
    static let lastIndex = 9 * 4
    /// Regular buckets per outcome.
    static let bucketCount = lastIndex - firstIndex + 1

    /// The bucket boundaries within one power of two, [1, 2): 2^(j/4) for j = 0…3, written as Prometheus writes
    /// them (twice its table for schema 2, which is exact), so that both put a duration in the same bucket.
    private static let octaveBounds: (Double, Double, Double, Double) = (
        1, 2 * 0.5946035575013605, 2 * 0.7071067811865475, 2 * 0.8408964152537144,
    )

    /// Cells per outcome: the zero bucket, the regular buckets, the sum in nanoseconds.
    private static let cellsPerOutcome = bucketCount + 2
    private static let sumCell = bucketCount + 1

    /// One block per outcome, by raw value: the zero bucket, the regular buckets, the sum.
    private let blocks = LazyAtomicBlocks(count: ExecutedOutcome.allCases.count, cellsPerBlock: cellsPerOutcome)

    /// Creates empty histograms; no outcome's block exists yet.
    init() {}

    /// The native bucket index of a duration of `seconds` (more than ``zeroThreshold``), before clamping to the
    /// window: `4e + j` for `seconds` = m × 2^e with m in [1, 2), where j (0…4) is the first boundary 2^(j/4) ≥ m.
    @inline(__always)
    static func index(seconds: Double) -> Int {
        let bits = seconds.bitPattern
        let exponent = Int(truncatingIfNeeded: bits &>> 52) &- 1023
        let mantissa = Double(bitPattern: (bits & 0x000F_FFFF_FFFF_FFFF) | 0x3FF0_0000_0000_0000)
        let bounds = octaveBounds
        var step = mantissa > bounds.0 ? 1 : 0
        step &+= mantissa > bounds.1 ? 1 : 0
        step &+= mantissa > bounds.2 ? 1 : 0
        step &+= mantissa > bounds.3 ? 1 : 0
        return exponent &* 4 &+ step
    }

    /// The upper bound, in seconds, of bucket `index`: 2^(index/4).
    static func upperBound(ofIndex index: Int) -> Double {
        let octave = index >> 2
        let step = index & 3
        let bounds = octaveBounds
        let significand = step == 0 ? bounds.0 : step == 1 ? bounds.1 : step == 2 ? bounds.2 : bounds.3
        return Double(sign: .plus, exponent: octave, significand: significand)
    }

    /// The cell offset (0 for the zero bucket, 1 + bucket for the others) of a duration.
    @inline(__always)
    static func cellOffset(nanoseconds: Int64) -> Int {
        guard nanoseconds > zeroThresholdNanoseconds else { return 0 }
        // A multiplication rather than a division: a last-bit difference only matters for a duration within a
        // nanosecond's fraction of a bucket bound.
        let index = Self.index(seconds: Double(nanoseconds) * 1e-9)
        return 1 &+ (min(index, lastIndex) &- firstIndex)
    }

    /// Records one call of `outcome` that took `duration`. Two relaxed atomic adds; no lock; an allocation only for
    /// the first observation of the outcome.
    @inline(__always)
    func record(_ duration: Duration, outcome: ExecutedOutcome) {
        let nanoseconds = max(duration.nanoseconds, 0)
        let cells = blocks.blockCreating(outcome.rawValue)
        cells[Self.cellOffset(nanoseconds: nanoseconds)].wrappingAdd(1, ordering: .relaxed)
        cells[Self.sumCell].wrappingAdd(UInt64(nanoseconds), ordering: .relaxed)
    }

    /// Cell `offset` of `outcome`'s block (0 if the outcome recorded nothing).
    private func load(_ outcome: ExecutedOutcome, _ offset: Int) -> Int64 {
        guard let cells = blocks.block(outcome.rawValue) else { return 0 }
        return Int64(bitPattern: cells[offset].load(ordering: .relaxed))
    }

    /// The observations of `outcome` in the zero bucket.
    func zeroCount(_ outcome: ExecutedOutcome) -> Int64 {
        load(outcome, 0)
    }

    /// The observations of `outcome` in regular bucket `bucket` (0 is index ``firstIndex``).
    func count(_ outcome: ExecutedOutcome, bucket: Int) -> Int64 {
        load(outcome, 1 &+ bucket)
    }

    /// The sum of the observed durations of `outcome`, in nanoseconds.
    func sumNanoseconds(_ outcome: ExecutedOutcome) -> Int64 {
        load(outcome, Self.sumCell)
    }

    /// Every count of `outcome` read once: the zero bucket and the regular buckets, into `counts`
    /// (``bucketCount`` + 1 values, the zero bucket first); returns their total.
    func read(_ outcome: ExecutedOutcome, into counts: UnsafeMutableBufferPointer<Int64>) -> Int64 {
        let length = min(Self.bucketCount &+ 1, counts.count)
        guard let cells = blocks.block(outcome.rawValue) else {
            for offset in 0..<length { counts[offset] = 0 }
            return 0
        }
        var total: Int64 = 0
        for offset in 0..<length {
            let value = Int64(bitPattern: cells[offset].load(ordering: .relaxed))
            counts[offset] = value
            total &+= value
        }
        return total
    }

    /// The observations of `outcome` in every bucket, the zero bucket included.
    func totalCount(_ outcome: ExecutedOutcome) -> Int64 {
        guard let cells = blocks.block(outcome.rawValue) else { return 0 }
        var total: Int64 = 0
        for offset in 0...Self.bucketCount { total &+= Int64(bitPattern: cells[offset].load(ordering: .relaxed)) }
        return total
    }
}
