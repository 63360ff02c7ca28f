import CircuitBreakerInternals

/// When a closed breaker trips open.
///
/// ```swift
/// .consecutiveFailures(5)
/// .failureRatio(0.5, window: .count(100), minimumCalls: 20)
/// .slowCallRatio(0.8, window: .time(.seconds(60)), minimumCalls: 50)   // needs Configuration.slowCallThreshold
/// ```
/// A struct with static constructors rather than an enum, so that policies can be added without breaking code that
/// uses them. A policy is carried out by the breaker's trip rule, which owns the store of outcomes it needs.
public struct TripPolicy: Sendable, Hashable, CustomStringConvertible {
    enum Kind: Sendable, Hashable {
        case consecutiveFailures(Int)
        case window(WindowPolicy)
    }

    let kind: Kind

    private init(_ kind: Kind) {
        self.kind = kind
    }

    /// Trips after this many failures in a row; any success resets the count.
    public static func consecutiveFailures(_ threshold: Int) -> TripPolicy {
        TripPolicy(.consecutiveFailures(threshold))
    }

    /// Trips when a ratio over a sliding window reaches its threshold.
    public static func window(_ policy: WindowPolicy) -> TripPolicy {
        TripPolicy(.window(policy))
    }

    /// Trips when the share of failures (timeouts included) among the window's calls reaches `threshold`,
    /// once the window holds at least `minimumCalls` calls.
    public static func failureRatio(
        _ threshold: Double,
        window: SlidingWindow = .time(.seconds(60), buckets: 10),
        minimumCalls: Int = 20
    ) -> TripPolicy {
        .window(WindowPolicy(window: window, minimumCalls: minimumCalls, failureRatioThreshold: threshold))
    }

    /// Trips when the share of calls slower than ``CircuitBreaker/Configuration/slowCallThreshold`` reaches
    /// `threshold`, once the window holds at least `minimumCalls` calls.
    public static func slowCallRatio(
        _ threshold: Double,
        window: SlidingWindow = .time(.seconds(60), buckets: 10),
        minimumCalls: Int = 20
    ) -> TripPolicy {
        .window(WindowPolicy(window: window, minimumCalls: minimumCalls, slowCallRatioThreshold: threshold))
    }

    /// The threshold of a consecutive-failure policy; `nil` for the others.
    public var consecutiveFailureThreshold: Int? {
        if case .consecutiveFailures(let threshold) = kind { return threshold }
        return nil
    }

    /// The window policy, if this policy judges a sliding window.
    public var windowPolicy: WindowPolicy? {
        if case .window(let policy) = kind { return policy }
        return nil
    }

    /// The failure-ratio threshold, if this policy has one.
    public var failureRatioThreshold: Double? { windowPolicy?.failureRatioThreshold }

    /// The slow-call-ratio threshold, if this policy has one.
    public var slowCallRatioThreshold: Double? { windowPolicy?.slowCallRatioThreshold }

    /// For example `5 consecutive failures` or `failure ratio ≥ 0.5 over the last 60 seconds in 10 buckets`.
    public var description: String {
        switch kind {
        case .consecutiveFailures(let threshold):
            return "\(threshold) consecutive failures"
        case .window(let policy):
            let ratios = [
                policy.failureRatioThreshold.map { "failure ratio ≥ \($0)" },
                policy.slowCallRatioThreshold.map { "slow-call ratio ≥ \($0)" },
            ].compactMap { $0 }
            return "\(ratios.joined(separator: " or ")) over the \(policy.window) (from \(policy.minimumCalls) calls)"
        }
    }

    /// Throws a ``ConfigurationError`` for the first invalid value.
    func validate(slowCallThreshold: Duration?) throws(ConfigurationError) {
        switch kind {
        case .consecutiveFailures(let threshold):
            try ConfigurationError.requirePositive(threshold, "trip.consecutiveFailures")
        case .window(let policy):
            try policy.window.validate(minimumCalls: policy.minimumCalls)
            try ConfigurationError.requirePositive(policy.minimumCalls, "trip.minimumCalls")
            if policy.failureRatioThreshold == nil && policy.slowCallRatioThreshold == nil {
                throw ConfigurationError(
                    .missing,
                    field: "trip.failureRatioThreshold",
                    reason: "a window policy needs a failure-ratio or slow-call-ratio threshold"
                )
            }
            if let ratio = policy.failureRatioThreshold {
                try ConfigurationError.requireRatio(ratio, "trip.failureRatioThreshold")
            }
            if let ratio = policy.slowCallRatioThreshold {
                try ConfigurationError.requireRatio(ratio, "trip.slowCallRatioThreshold")
                if slowCallThreshold == nil {
                    throw ConfigurationError(
                        .missing,
                        field: "slowCallThreshold",
                        reason: "a slow-call ratio policy needs slowCallThreshold to say what is slow"
                    )
                }
            }
        }
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
