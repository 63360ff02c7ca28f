import CircuitBreakerInternals

/// A configuration the breaker package cannot work with: an invalid value, reported when a breaker is created, or a
/// registry asked for a breaker under a name that exists with another configuration.
///
/// ```swift
/// do { _ = try CircuitBreaker(name: "db", configuration: config) }
/// catch let error as ConfigurationError where error.code == .notPositive { print(error.field) }
/// ```
/// The core's one error shape, like swift-service-lifecycle's `ServiceGroupError`: a ``code`` that new cases can be
/// added to without breaking the API, and equality on the code alone. The source location that raised it is kept
/// for debugging only.
public struct ConfigurationError: Error, Hashable, CustomStringConvertible {
    /// What kind of problem the configuration has. New codes may be added without breaking the API.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Backing: Hashable, Sendable {
            case notPositive
            case outOfRange
            case missing
            case inconsistent
            case conflictsWithRegisteredBreaker
        }

        private let backing: Backing

        private init(_ backing: Backing) {
            self.backing = backing
        }

        /// A count or duration that must be greater than zero is not.
        public static let notPositive = Code(.notPositive)
        /// A ratio or fraction lies outside its allowed range.
        public static let outOfRange = Code(.outOfRange)
        /// A value that another setting requires is absent.
        public static let missing = Code(.missing)
        /// Two settings contradict each other.
        public static let inconsistent = Code(.inconsistent)
        /// A ``BreakerRegistry`` already holds a breaker of that name with another configuration; the registry
        /// does not swap it silently.
        public static let conflictsWithRegisteredBreaker = Code(.conflictsWithRegisteredBreaker)

        /// A short name of the code.
        public var description: String {
            switch backing {
            case .notPositive: "notPositive"
            case .outOfRange: "outOfRange"
            case .missing: "missing"
            case .inconsistent: "inconsistent"
            case .conflictsWithRegisteredBreaker: "conflictsWithRegisteredBreaker"
            }
        }
    }

    /// What kind of problem it is; the only part that equality compares.
    public let code: Code
    /// The configuration field at fault, as a key path such as `halfOpen.trialCalls`; `configuration` for a
    /// conflict with a registered breaker.
    public let field: String
    /// Why the value is not accepted, for a person to read.
    public let reason: String
    /// The breaker concerned, when the error is about one breaker.
    public let breakerName: String?
    /// The source file that raised the error (for debugging; not compared).
    public let file: String
    /// The source line that raised the error (for debugging; not compared).
    public let line: Int

    /// Creates an error about `field`.
    public init(
        _ code: Code,
        field: String,
        reason: String,
        breakerName: String? = nil,
        file: String = #fileID,
        line: Int = #line
    ) {
        self.code = code
        self.field = field
        self.reason = reason
        self.breakerName = breakerName
        self.file = file
        self.line = line
    }

    /// Errors are equal when their codes are.
    public static func == (lhs: ConfigurationError, rhs: ConfigurationError) -> Bool {
        lhs.code == rhs.code
    }

    /// Hashes the code.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(code)
    }

    /// `invalid circuit breaker configuration: <field>: <reason>`, naming the breaker when there is one.
    public var description: String {
        let subject = breakerName.map { " of \"\($0)\"" } ?? ""
        return "invalid circuit breaker configuration\(subject): \(field): \(reason)"
    }

    static func requirePositive(_ value: Int, _ field: String) throws(ConfigurationError) {
        if value <= 0 { throw ConfigurationError(.notPositive, field: field, reason: "\(value) is not > 0") }
    }

    static func requirePositive(_ value: Duration, _ field: String) throws(ConfigurationError) {
        if value <= .zero { throw ConfigurationError(.notPositive, field: field, reason: "\(value) is not > 0") }
    }

    static func requireRatio(_ value: Double, _ field: String) throws(ConfigurationError) {
        if !(value > 0 && value <= 1) {
            throw ConfigurationError(.outOfRange, field: field, reason: "\(value) is not in (0, 1]")
        }
    }
}
