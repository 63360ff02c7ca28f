extension Duration {
    /// The duration in whole nanoseconds (truncated toward zero), saturating at the bounds of `Int64` (292 years
    /// either way).
    @inlinable
    package var nanoseconds: Int64 {
        // Fast path for the durations of calls: a non-negative duration under 18.4 s keeps its attoseconds in the
        // low word, and dividing that by a constant compiles to a multiplication, where `components` divides
        // 128 bits (measured: most of the duration histogram's cost per call).
        if _high == 0 { return Int64(_low / 1_000_000_000) }
        let (seconds, attoseconds) = components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds < 0 ? .min : .max }
        let (sum, overflow2) = scaled.addingReportingOverflow(attoseconds / 1_000_000_000)
        if overflow2 { return seconds < 0 ? .min : .max }
        return sum
    }

    /// The duration in whole nanoseconds, clamped to `0...UInt64.max`.
    @inlinable
    package var clampedNanoseconds: UInt64 {
        let (seconds, attoseconds) = components
        guard seconds >= 0 else { return 0 }
        let (product, overflow) = UInt64(seconds).multipliedReportingOverflow(by: 1_000_000_000)
        guard !overflow else { return .max }
        let (sum, overflow2) = product.addingReportingOverflow(UInt64(attoseconds / 1_000_000_000))
        return overflow2 ? .max : sum
    }

    /// The duration in whole seconds, rounded up; 0 for a negative duration.
    @inlinable
    package var secondsRoundedUp: UInt64 {
        let nanoseconds = clampedNanoseconds
        return nanoseconds / 1_000_000_000 + (nanoseconds % 1_000_000_000 == 0 ? 0 : 1)
    }
}
