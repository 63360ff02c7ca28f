import CircuitBreakerInternals
extension CircuitBreaker {
    /// Everything that decides how a ``CircuitBreaker`` behaves.
    ///
    /// The defaults suit a typical remote dependency: trip when half of the calls of the last 60 seconds failed (once
    /// 20 calls were seen; a time window, because it is striped across threads and so scales with cores, where a
    /// count window serializes every call on one shared cursor), wait 5 s before probing and double that on each failed probe up to 2 minutes (±10 % jitter), probe with
    /// 3 calls that must all succeed within 60 s, no invocation timeout (most clients have their own), and no slow-call
    /// tracking. The values of the seed example are reachable too:
    ///
    /// ```swift
    /// let seed = CircuitBreaker.Configuration(
    ///     trip: .consecutiveFailures(5),
    ///     openWait: .fixed(.milliseconds(100)),
    ///     halfOpen: HalfOpenPolicy(trialCalls: 1),
    ///     invocationTimeout: .milliseconds(10)
    /// )
    /// ```
    /// A configuration is checked by ``validate()`` when a breaker is created; an invalid one throws a
    /// ``ConfigurationError`` naming the field.
    public struct Configuration: Sendable, Hashable {
        /// When the closed breaker trips open.
        public var trip: TripPolicy
        /// How long it stays open before probing.
        public var openWait: OpenWait
        /// How it probes.
        public var halfOpen: HalfOpenPolicy
        /// For async calls: the longest an operation may run before the call fails with ``CallTimeoutError`` (the
        /// operation's task is cancelled); `nil` for none. Synchronous calls cannot be interrupted and ignore it.
        public var invocationTimeout: Duration?
        /// Calls that take longer than this count as slow (reported to monitors, and counted by a slow-call ratio
        /// policy); `nil` to not measure.
        public var slowCallThreshold: Duration?
        /// Which errors count as failures; the rest are ignored.
        public var errorClassifier: ErrorClassifier
        /// Which outcomes run a call's fallback; rejections only by default.
        public var fallbackTriggers: FallbackTriggers
        /// Whether the breaker rejects calls (``Enforcement/enforcing``, the default) or only reports what it would
        /// have rejected (``Enforcement/shadow``).
        public var enforcement: Enforcement

        /// Creates a configuration; every parameter has the documented default.
        public init(
            trip: TripPolicy = .failureRatio(0.5, window: .time(.seconds(60), buckets: 10), minimumCalls: 20),
            openWait: OpenWait = .exponential(
                initial: .seconds(5),
                multiplier: 2,
                maximum: .seconds(120),
                jitter: 0.1
            ),
            halfOpen: HalfOpenPolicy = .default,
            invocationTimeout: Duration? = nil,
            slowCallThreshold: Duration? = nil,
            errorClassifier: ErrorClassifier = .default,
            fallbackTriggers: FallbackTriggers = .rejection,
            enforcement: Enforcement = .enforcing
        ) {
            self.trip = trip
            self.openWait = openWait
            self.halfOpen = halfOpen
            self.invocationTimeout = invocationTimeout
            self.slowCallThreshold = slowCallThreshold
            self.errorClassifier = errorClassifier
            self.fallbackTriggers = fallbackTriggers
            self.enforcement = enforcement
        }

        /// The documented defaults.
        public static let `default` = Configuration()

        /// Trips after `threshold` consecutive failures and waits `openWait` before probing with one trial call,
        /// as in the classic pattern.
        public static func consecutiveFailures(_ threshold: Int, openWait: Duration = .seconds(30)) -> Configuration {
            Configuration(
                trip: .consecutiveFailures(threshold),
                openWait: .fixed(openWait),
                halfOpen: HalfOpenPolicy(trialCalls: 1)
            )
        }

        /// Throws a ``ConfigurationError`` for the first invalid field.
        public func validate() throws(ConfigurationError) {
            try trip.validate(slowCallThreshold: slowCallThreshold)
            try openWait.validate()
            try halfOpen.validate()
            if let timeout = invocationTimeout { try ConfigurationError.requirePositive(timeout, "invocationTimeout") }
            if let threshold = slowCallThreshold {
                try ConfigurationError.requirePositive(threshold, "slowCallThreshold")
            }
        }
    }
}
