/// The window of recent calls over which failure and slow-call ratios are computed.
public enum SlidingWindow: Sendable, Hashable {
    /// The last `size` recorded calls.
    case count(Int)
    /// The calls of the last `duration`, kept in `buckets` equal buckets so memory stays fixed; the window
    /// slides one bucket at a time.
    case time(Duration, buckets: Int = 10)
}
