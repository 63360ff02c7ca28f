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
            fallbackTriggers: FallbackTriggers = .rejection
        ) {
            self.trip = trip
            self.openWait = openWait
            self.halfOpen = halfOpen
            self.invocationTimeout = invocationTimeout
            self.slowCallThreshold = slowCallThreshold
            self.errorClassifier = errorClassifier
            self.fallbackTriggers = fallbackTriggers
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
            switch trip {
            case .consecutiveFailures(let threshold):
                try Self.requirePositive(threshold, "trip.consecutiveFailures")
            case .window(let policy):
                switch policy.window {
                case .count(let size):
                    try Self.requirePositive(size, "trip.window.count")
                    if policy.minimumCalls > size {
                        throw ConfigurationError(
                            .inconsistent,
                            field: "trip.minimumCalls",
                            reason: "\(policy.minimumCalls) exceeds the window size \(size), so the breaker could never trip"
                        )
                    }
                case .time(let duration, let buckets):
                    try Self.requirePositive(duration, "trip.window.time")
                    try Self.requirePositive(buckets, "trip.window.buckets")
                if buckets > 65_535 {
                    throw ConfigurationError(
                        .outOfRange,
                        field: "trip.window.buckets",
                        reason: "\(buckets) is more than 65,535 buckets"
                    )
                }
                    if duration.nanoseconds / Int64(buckets) < 1_000_000 {
                        throw ConfigurationError(
                            .outOfRange,
                            field: "trip.window.buckets",
                            reason: "buckets of \(duration) / \(buckets) are shorter than 1 ms"
                        )
                    }
                }
                try Self.requirePositive(policy.minimumCalls, "trip.minimumCalls")
                if policy.failureRatioThreshold == nil && policy.slowCallRatioThreshold == nil {
                    throw ConfigurationError(
                        .missing,
                        field: "trip.failureRatioThreshold",
                        reason: "a window policy needs a failure-ratio or slow-call-ratio threshold"
                    )
                }
                if let ratio = policy.failureRatioThreshold { try Self.requireRatio(ratio, "trip.failureRatioThreshold") }
                if let ratio = policy.slowCallRatioThreshold {
                    try Self.requireRatio(ratio, "trip.slowCallRatioThreshold")
                    if slowCallThreshold == nil {
                        throw ConfigurationError(
                            .missing,
                            field: "slowCallThreshold",
                            reason: "a slow-call ratio policy needs slowCallThreshold to say what is slow"
                        )
                    }
                }
            }
            switch openWait {
            case .fixed(let duration):
                try Self.requirePositive(duration, "openWait")
            case .exponential(let initial, let multiplier, let maximum, let jitter):
                try Self.requirePositive(initial, "openWait.initial")
                try Self.requirePositive(maximum, "openWait.maximum")
                if !(multiplier >= 1) || !multiplier.isFinite {
                    throw ConfigurationError(.outOfRange, field: "openWait.multiplier", reason: "\(multiplier) is not ≥ 1")
                }
                if maximum < initial {
                    throw ConfigurationError(
                        .inconsistent,
                        field: "openWait.maximum",
                        reason: "\(maximum) is shorter than the initial wait \(initial)"
                    )
                }
                if !(jitter >= 0 && jitter < 1) {
                    throw ConfigurationError(.outOfRange, field: "openWait.jitter", reason: "\(jitter) is not in [0, 1)")
                }
            }
            try Self.requirePositive(halfOpen.trialCalls, "halfOpen.trialCalls")
            try Self.requirePositive(halfOpen.requiredSuccesses, "halfOpen.requiredSuccesses")
            if halfOpen.requiredSuccesses > halfOpen.trialCalls {
                throw ConfigurationError(
                    .inconsistent,
                    field: "halfOpen.requiredSuccesses",
                    reason: "\(halfOpen.requiredSuccesses) exceeds trialCalls \(halfOpen.trialCalls)"
                )
            }
            try Self.requirePositive(halfOpen.maximumDuration, "halfOpen.maximumDuration")
            if let timeout = invocationTimeout { try Self.requirePositive(timeout, "invocationTimeout") }
            if let threshold = slowCallThreshold { try Self.requirePositive(threshold, "slowCallThreshold") }
        }

        private static func requirePositive(_ value: Int, _ field: String) throws(ConfigurationError) {
            if value <= 0 { throw ConfigurationError(.notPositive, field: field, reason: "\(value) is not > 0") }
        }

        private static func requirePositive(_ value: Duration, _ field: String) throws(ConfigurationError) {
            if value <= .zero { throw ConfigurationError(.notPositive, field: field, reason: "\(value) is not > 0") }
        }

        private static func requireRatio(_ value: Double, _ field: String) throws(ConfigurationError) {
            if !(value > 0 && value <= 1) {
                throw ConfigurationError(.outOfRange, field: field, reason: "\(value) is not in (0, 1]")
            }
        }
    }
}
