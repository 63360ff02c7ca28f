/// How a breaker probes its dependency after the open wait.
public struct HalfOpenPolicy: Sendable, Hashable {
    /// How many trial calls are admitted in one half-open period; further calls are rejected.
    public var trialCalls: Int
    /// How many trial successes close the breaker; at most ``trialCalls``. Any trial failure reopens it.
    public var requiredSuccesses: Int
    /// How long the trial calls have to settle the breaker once every trial slot is taken, counted from the
    /// admission of the last of them: a trial admitted at *t* has at least until *t* + `maximumDuration`, however
    /// long the breaker sat idle before. When the time is up (a probe that never returns), the breaker reopens,
    /// dated at that moment, so it can never wedge in half-open. See <doc:Semantics>.
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
