import CircuitBreakerInternals

/// The time source of a ``MetricsServer``: request arrival times, connection deadlines, the render-wait deadline,
/// the deadline reaper and the render-time histogram all read it, and nothing else in the server reads a clock
/// (the shutdown grace period, which waits in `Task.sleep`, aside).
///
/// Production servers use ``SystemMonotonicClock``. Tests inject a clock they advance by hand, then trigger the
/// reaper (``MetricsServer/enforceDeadlines()``) and wait for the event (a 503, a closed socket), so no test depends
/// on how fast the machine runs.
package protocol ServerClock: Sendable {
    /// Nanoseconds on a monotonic scale; only differences matter. Never goes back.
    func nanoseconds() -> UInt64
}

/// `CLOCK_MONOTONIC`: cheap, never goes back, unaffected by wall-clock changes.
package struct SystemMonotonicClock: ServerClock {
    /// The system clock.
    package init() {}

    /// Nanoseconds on `CLOCK_MONOTONIC`.
    package func nanoseconds() -> UInt64 {
        MonotonicTime.nanoseconds()
    }
}
