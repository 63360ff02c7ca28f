extension BreakerGroup {
    /// The limits of a ``BreakerGroup``: how many keys it holds, how long a key may be, and what a key gets when the
    /// group is full and no key is idle.
    ///
    /// ```swift
    /// let partners = try BreakerGroup(
    ///     name: "partners",
    ///     template: .consecutiveFailures(5),
    ///     configuration: .init(maximumKeys: 500, overflow: .reject)
    /// )
    /// ```
    public struct Configuration: Sendable, Hashable {
        /// The most keys the group holds at once, each with its own breaker (and its own series). When a new key
        /// arrives at the limit, the least recently used idle key is evicted; when none is idle, ``overflow``
        /// applies. At most 16,777,216.
        public var maximumKeys: Int
        /// The longest key accepted, in UTF-8 bytes; a longer key gets ``BreakerGroupError/Code/keyTooLong``
        /// (keys often come from requests: this bounds the memory and the exposition size a key can take).
        public var maximumKeyLength: Int
        /// What a new key gets when the group is full and no key is idle.
        public var overflow: OverflowPolicy

        /// Creates a configuration; every parameter has the documented default.
        public init(maximumKeys: Int = 1_000, maximumKeyLength: Int = 256, overflow: OverflowPolicy = .sharedBreaker) {
            self.maximumKeys = maximumKeys
            self.maximumKeyLength = maximumKeyLength
            self.overflow = overflow
        }

        /// At most 1,000 keys of at most 256 bytes; overflowing keys share the group's overflow breaker.
        public static let `default` = Configuration()

        /// The largest ``maximumKeys`` accepted.
        public static let largestMaximumKeys = 1 << 24

        /// Throws a ``ConfigurationError`` for the first invalid field.
        public func validate() throws(ConfigurationError) {
            try ConfigurationError.requirePositive(maximumKeys, "maximumKeys")
            if maximumKeys > Self.largestMaximumKeys {
                throw ConfigurationError(
                    .outOfRange,
                    field: "maximumKeys",
                    reason: "\(maximumKeys) is more than \(Self.largestMaximumKeys)"
                )
            }
            try ConfigurationError.requirePositive(maximumKeyLength, "maximumKeyLength")
        }
    }

    /// What a key gets when its group holds ``Configuration-swift.struct/maximumKeys`` keys and none is idle. A
    /// struct over a private enum, so that policies can be added without breaking code that uses them. Either way
    /// the group's monitors hear of it (``BreakerMonitor/keyOverflowed(_:key:policy:)``; Prometheus counts it in
    /// `circuit_breaker_group_overflow_total`).
    public struct OverflowPolicy: Sendable, Hashable, CustomStringConvertible {
        private enum Backing: Sendable, Hashable {
            case sharedBreaker
            case reject
        }

        private let backing: Backing

        private init(_ backing: Backing) {
            self.backing = backing
        }

        /// The key's calls go through the group's one overflow breaker (``BreakerGroup/overflowBreaker``), shared
        /// by every key that found the group full: they are still protected, though not apart from each other.
        public static let sharedBreaker = OverflowPolicy(.sharedBreaker)
        /// The key is refused: ``BreakerGroup/breaker(for:)`` and the group's calls throw ``BreakerGroupError``
        /// with code ``BreakerGroupError/Code/overflow``, and the operation does not run.
        public static let reject = OverflowPolicy(.reject)

        /// `shared_breaker` or `reject`: the value of the `policy` label of the overflow counter.
        public var description: String {
            switch backing {
            case .sharedBreaker: "shared_breaker"
            case .reject: "reject"
            }
        }

        /// Whether overflowing keys share the overflow breaker.
        var sharesBreaker: Bool { backing == .sharedBreaker }
    }
}

/// What a monitor learns about a ``BreakerGroup`` when it is bound to it, before the group exists.
public struct BreakerGroupDescription: Sendable {
    /// The group's name: the `breaker` label of its series.
    public let name: String
    /// The configuration every key starts from (before the group's per-key closure, if any, changes it).
    public let template: CircuitBreaker.Configuration
    /// The group's limits.
    public let configuration: BreakerGroup.Configuration

    /// Creates a description.
    public init(name: String, template: CircuitBreaker.Configuration, configuration: BreakerGroup.Configuration) {
        self.name = name
        self.template = template
        self.configuration = configuration
    }
}
