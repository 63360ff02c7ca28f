#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Readings of the operating system's monotonic clock: cheap, never going back, unaffected by wall-clock changes.
package enum MonotonicTime {
    /// Nanoseconds on `CLOCK_MONOTONIC`.
    @inlinable
    package static func nanoseconds() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) &* 1_000_000_000 &+ UInt64(time.tv_nsec)
    }
}
