/// How a breaker probes its dependency after the open wait.
public struct HalfOpenPolicy: Sendable, Hashable {
    /// How many trial calls are admitted in one half-open period; further calls are rejected.
    public var trialCalls: Int
    /// How many trial successes close the breaker; at most ``trialCalls``. Any trial failure reopens it.
    public var requiredSuccesses: Int
    /// The longest a half-open period may last. When trial calls have not settled the breaker by then (a probe
    /// that never returns), the next call finds the deadline passed and reopens the breaker, so it can never
    /// wedge in half-open.
    public var maximumDuration: Duration

    /// Creates a half-open policy; `requiredSuccesses` defaults to `trialCalls`.
    public init(trialCalls: Int = 3, requiredSuccesses: Int? = nil, maximumDuration: Duration = .seconds(60)) {
        self.trialCalls = trialCalls
        self.requiredSuccesses = requiredSuccesses ?? trialCalls
        self.maximumDuration = maximumDuration
    }

    /// Three trial calls, all of which must succeed, within 60 seconds.
    public static let `default` = HalfOpenPolicy()

    /// Throws a ``ConfigurationError`` for the first invalid value.
    func validate() throws(ConfigurationError) {
        try ConfigurationError.requirePositive(trialCalls, "halfOpen.trialCalls")
        try ConfigurationError.requirePositive(requiredSuccesses, "halfOpen.requiredSuccesses")
        if requiredSuccesses > trialCalls {
            throw ConfigurationError(
                .inconsistent,
                field: "halfOpen.requiredSuccesses",
                reason: "\(requiredSuccesses) exceeds trialCalls \(trialCalls)"
            )
        }
        try ConfigurationError.requirePositive(maximumDuration, "halfOpen.maximumDuration")
    }
}
