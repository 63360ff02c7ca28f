/// The window of recent calls over which failure and slow-call ratios are computed.
///
/// ```swift
/// .count(100)                          // the last 100 calls
/// .time(.seconds(60), buckets: 10)     // the calls of the last minute, in 6-second buckets
/// ```
/// A struct with static constructors rather than an enum, so that kinds of window can be added without breaking
/// code that uses them.
public struct SlidingWindow: Sendable, Hashable, CustomStringConvertible {
    enum Kind: Sendable, Hashable {
        case count(Int)
        case time(Duration, buckets: Int)
    }

    let kind: Kind

    private init(_ kind: Kind) {
        self.kind = kind
    }

    /// The last `size` recorded calls.
    public static func count(_ size: Int) -> SlidingWindow {
        SlidingWindow(.count(size))
    }

    /// The calls of the last `duration`, kept in `buckets` equal buckets so memory stays fixed; the window slides
    /// one bucket at a time.
    public static func time(_ duration: Duration, buckets: Int = 10) -> SlidingWindow {
        SlidingWindow(.time(duration, buckets: buckets))
    }

    /// The number of calls of a count window; `nil` for a time window.
    public var size: Int? {
        if case .count(let size) = kind { return size }
        return nil
    }

    /// The span of a time window; `nil` for a count window.
    public var duration: Duration? {
        if case .time(let duration, _) = kind { return duration }
        return nil
    }

    /// The number of buckets of a time window; `nil` for a count window.
    public var buckets: Int? {
        if case .time(_, let buckets) = kind { return buckets }
        return nil
    }

    /// For example `last 100 calls` or `last 60 seconds in 10 buckets`.
    public var description: String {
        switch kind {
        case .count(let size): "last \(size) calls"
        case .time(let duration, let buckets): "last \(duration) in \(buckets) buckets"
        }
    }

    /// Throws a ``ConfigurationError`` for the first invalid value; `minimumCalls` is the policy's.
    func validate(minimumCalls: Int) throws(ConfigurationError) {
        switch kind {
        case .count(let size):
            try ConfigurationError.requirePositive(size, "trip.window.count")
            if minimumCalls > size {
                throw ConfigurationError(
                    .inconsistent,
                    field: "trip.minimumCalls",
                    reason: "\(minimumCalls) exceeds the window size \(size), so the breaker could never trip"
                )
            }
        case .time(let duration, let buckets):
            try ConfigurationError.requirePositive(duration, "trip.window.time")
            try ConfigurationError.requirePositive(buckets, "trip.window.buckets")
            if buckets > 65_535 {
                throw ConfigurationError(.outOfRange, field: "trip.window.buckets", reason: "\(buckets) is more than 65,535 buckets")
            }
            if duration.nanoseconds / Int64(buckets) < 1_000_000 {
                throw ConfigurationError(
                    .outOfRange,
                    field: "trip.window.buckets",
                    reason: "buckets of \(duration) / \(buckets) are shorter than 1 ms"
                )
            }
        }
    }
}
