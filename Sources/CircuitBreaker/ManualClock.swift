import Synchronization

/// A clock for tests: time stands still until ``advance(by:)`` moves it.
///
/// Give it to a breaker with ``BreakerClock/manual(_:)``. Monotonic and wall-clock readings move together.
public final class ManualClock: Sendable {
    @usableFromInline
    let storage: Atomic<Int64>
    private let wallClockOrigin: Double

    /// Creates a clock at monotonic time zero whose wall clock reads `wallClockOrigin` seconds since 1970.
    public init(wallClockOrigin: Double = 1_700_000_000) {
        self.storage = Atomic(0)
        self.wallClockOrigin = wallClockOrigin
    }

    /// The current monotonic reading in nanoseconds.
    @inlinable
    public var nanoseconds: Int64 { storage.load(ordering: .acquiring) }

    /// The current wall-clock reading in seconds since the Unix epoch.
    public var wallClockSeconds: Double { wallClockOrigin + Double(nanoseconds) / 1e9 }

    /// Moves time forward; a negative duration is ignored, so the clock stays monotonic.
    public func advance(by duration: Duration) {
        let nanos = duration.nanoseconds
        guard nanos > 0 else { return }
        storage.add(nanos, ordering: .releasing)
    }
}
