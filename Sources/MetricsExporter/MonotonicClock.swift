#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Nanoseconds on the monotonic clock: cheap, never goes back, unaffected by wall-clock changes.
func monotonicNanoseconds() -> UInt64 {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return UInt64(time.tv_sec) &* 1_000_000_000 &+ UInt64(time.tv_nsec)
}

extension Duration {
    /// The duration in whole nanoseconds, clamped to 0...UInt64.max.
    var clampedNanoseconds: UInt64 {
        let (seconds, attoseconds) = self.components
        guard seconds >= 0 else { return 0 }
        let (product, overflow) = UInt64(seconds).multipliedReportingOverflow(by: 1_000_000_000)
        guard !overflow else { return .max }
        return product &+ UInt64(attoseconds / 1_000_000_000)
    }

    /// The duration in whole seconds, rounded up.
    var secondsRoundedUp: UInt64 {
        let nanoseconds = self.clampedNanoseconds
        return nanoseconds / 1_000_000_000 + (nanoseconds % 1_000_000_000 == 0 ? 0 : 1)
    }
}
