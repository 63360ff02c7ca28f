/// A configuration value that a breaker cannot work with, reported when the breaker is created.
///
/// ```swift
/// do { _ = try CircuitBreaker(name: "db", configuration: config) }
/// catch let error as ConfigurationError where error.code == .notPositive { print(error.field) }
/// ```
public struct ConfigurationError: Error, Hashable, CustomStringConvertible {
    /// What kind of problem the value has. New codes may be added without breaking the API.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Backing: Hashable, Sendable {
            case notPositive
            case outOfRange
            case missing
            case inconsistent
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

        /// A short name of the code.
        public var description: String {
            switch backing {
            case .notPositive: "notPositive"
            case .outOfRange: "outOfRange"
            case .missing: "missing"
            case .inconsistent: "inconsistent"
            }
        }
    }

    /// What kind of problem it is.
    public let code: Code
    /// The configuration field at fault, as a key path such as `halfOpen.trialCalls`.
    public let field: String
    /// Why the value is not accepted, for a person to read.
    public let reason: String
    /// The file that raised the error.
    public let file: String
    /// The line that raised the error.
    public let line: Int

    /// Creates an error about `field`.
    public init(_ code: Code, field: String, reason: String, file: String = #fileID, line: Int = #line) {
        self.code = code
        self.field = field
        self.reason = reason
        self.file = file
        self.line = line
    }

    /// `invalid configuration: <field>: <reason>`.
    public var description: String { "invalid circuit breaker configuration: \(field): \(reason)" }
}
