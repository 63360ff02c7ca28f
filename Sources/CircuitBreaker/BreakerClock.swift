import CircuitBreakerInternals
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The time source of a breaker.
///
/// The breaker reads three kinds of time: a cheap, coarse monotonic clock for open-state checks and time windows,
/// a precise monotonic clock for call durations, and the wall clock for the timestamp of a transition.
/// ``system`` reads the operating system's clocks; ``manual(_:)`` lets tests drive all three without sleeping.
public struct BreakerClock: Sendable {
    @usableFromInline
    enum Source: Sendable {
        case system
        case manual(ManualClock)
    }

    @usableFromInline
    let source: Source

    /// The operating system's clocks: `CLOCK_MONOTONIC_COARSE` (where available), `CLOCK_MONOTONIC` and
    /// `CLOCK_REALTIME`.
    public static let system = BreakerClock(source: .system)

    /// A clock that moves only when the given ``ManualClock`` is advanced.
    public static func manual(_ clock: ManualClock) -> BreakerClock {
        BreakerClock(source: .manual(clock))
    }

    @usableFromInline
    init(source: Source) {
        self.source = source
    }

    /// Monotonic nanoseconds from a cheap clock with a resolution of a few milliseconds. Not API: the readings are
    /// on a scale users cannot relate to anything; the package's own modules read them.
    @inlinable
    package func coarseNanoseconds() -> Int64 {
        switch source {
        case .system: Self.read(Self.coarseClockID)
        case .manual(let clock): clock.nanoseconds
        }
    }

    /// Monotonic nanoseconds from a precise clock, for measuring call durations. Not API, as
    /// ``coarseNanoseconds()``.
    @inlinable
    package func preciseNanoseconds() -> Int64 {
        switch source {
        case .system: Self.read(CLOCK_MONOTONIC)
        case .manual(let clock): clock.nanoseconds
        }
    }

    /// Seconds since the Unix epoch, for timestamps that people and Prometheus read.
    public func wallClockSeconds() -> Double {
        switch source {
        case .system:
            var spec = timespec()
            clock_gettime(CLOCK_REALTIME, &spec)
            return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
        case .manual(let clock):
            return clock.wallClockSeconds
        }
    }

    @usableFromInline
    static var coarseClockID: clockid_t {
        #if os(Linux)
        CLOCK_MONOTONIC_COARSE
        #else
        CLOCK_MONOTONIC
        #endif
    }

    @inlinable
    static func read(_ id: clockid_t) -> Int64 {
        var spec = timespec()
        clock_gettime(id, &spec)
        return Int64(spec.tv_sec) &* 1_000_000_000 &+ Int64(spec.tv_nsec)
    }
}

extension BreakerClock {
    /// Suspends for `duration`: on the system's continuous clock, or until a manual clock has been advanced that
    /// far. Throws `CancellationError` when the task is cancelled first.
    ///
    /// The invocation timeout does not sleep: it arms a deadline with the clock's shared deadline scheduler (one
    /// thread for the system clock, the manual clock's ``ManualClock/advance(by:)`` for a manual one).
    public func sleep(for duration: Duration) async throws {
        switch source {
        case .system: try await Task.sleep(for: duration)
        case .manual(let clock): try await clock.sleep(for: duration)
        }
    }

    /// Where this clock's deadlines are armed: the process's scheduler for the system clock (on `CLOCK_MONOTONIC`,
    /// the precise clock), the manual clock's own otherwise.
    @usableFromInline
    var deadlineScheduler: DeadlineScheduler {
        switch source {
        case .system: DeadlineScheduler.system
        case .manual(let clock): clock.deadlines
        }
    }

    /// The precise reading `duration` from now, saturating at the end of time.
    @inlinable
    func deadline(after duration: Duration) -> Int64 {
        let (sum, overflow) = preciseNanoseconds().addingReportingOverflow(max(duration.nanoseconds, 0))
        return overflow ? .max : sum
    }
}
