/// When a closed breaker trips open.
///
/// ```swift
/// .consecutiveFailures(5)
/// .failureRatio(0.5, window: .count(100), minimumCalls: 20)
/// .slowCallRatio(0.8, window: .time(.seconds(60)), minimumCalls: 50)   // needs Configuration.slowCallThreshold
/// ```
public enum TripPolicy: Sendable, Hashable {
    /// Trips after this many failures in a row; any success resets the count.
    case consecutiveFailures(Int)
    /// Trips when a ratio over a sliding window reaches its threshold.
    case window(WindowPolicy)

    /// Trips when the share of failures (timeouts included) among the window's calls reaches `threshold`,
    /// once the window holds at least `minimumCalls` calls.
    public static func failureRatio(
        _ threshold: Double,
        window: SlidingWindow = .time(.seconds(60), buckets: 10),
        minimumCalls: Int = 20
    ) -> TripPolicy {
        .window(WindowPolicy(window: window, minimumCalls: minimumCalls, failureRatioThreshold: threshold))
    }

    /// Trips when the share of calls slower than ``Configuration/slowCallThreshold`` reaches `threshold`,
    /// once the window holds at least `minimumCalls` calls.
    public static func slowCallRatio(
        _ threshold: Double,
        window: SlidingWindow = .time(.seconds(60), buckets: 10),
        minimumCalls: Int = 20
    ) -> TripPolicy {
        .window(WindowPolicy(window: window, minimumCalls: minimumCalls, slowCallRatioThreshold: threshold))
    }

    /// The failure-ratio threshold, if this policy has one.
    public var failureRatioThreshold: Double? {
        if case .window(let policy) = self { return policy.failureRatioThreshold }
        return nil
    }

    /// The slow-call-ratio threshold, if this policy has one.
    public var slowCallRatioThreshold: Double? {
        if case .window(let policy) = self { return policy.slowCallRatioThreshold }
        return nil
    }
}

/// Ratio thresholds over a sliding window; either threshold, or both, may be set.
public struct WindowPolicy: Sendable, Hashable {
    /// The window the ratios are computed over.
    public var window: SlidingWindow
    /// Ratios are not evaluated until the window holds at least this many calls.
    public var minimumCalls: Int
    /// Trip when failures / calls reaches this value, in (0, 1]; `nil` disables the failure ratio.
    public var failureRatioThreshold: Double?
    /// Trip when slow calls / calls reaches this value, in (0, 1]; `nil` disables the slow-call ratio.
    public var slowCallRatioThreshold: Double?

    /// Creates a window policy.
    public init(
        window: SlidingWindow,
        minimumCalls: Int,
        failureRatioThreshold: Double? = nil,
        slowCallRatioThreshold: Double? = nil
    ) {
        self.window = window
        self.minimumCalls = minimumCalls
        self.failureRatioThreshold = failureRatioThreshold
        self.slowCallRatioThreshold = slowCallRatioThreshold
    }
}
