import CircuitBreakerInternals
#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Nanoseconds on the monotonic clock: cheap, never goes back, unaffected by wall-clock changes.
func monotonicNanoseconds() -> UInt64 {
    MonotonicTime.nanoseconds()
}
