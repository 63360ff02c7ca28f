import HTTPTypes

/// What went wrong in the operations module: a request the API refuses, or a state file it cannot use.
///
/// ```swift
/// catch let error as OperationsError where error.code == .unknownBreaker { … }
/// ```
/// The module's one error shape, like the core's ``/CircuitBreaker/ConfigurationError``: a ``code`` that new cases
/// can be added to without breaking the API, and equality on the code alone. The source location that raised it is
/// kept for debugging only. Every code has the HTTP status the API answers with and a snake-case name, the `code`
/// of the JSON error body.
public struct OperationsError: Error, Hashable, CustomStringConvertible {
    /// What kind of problem it is. New codes may be added without breaking the API.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Backing: String, Hashable, Sendable {
            case badJSON = "bad_json"
            case unknownField = "unknown_field"
            case missingField = "missing_field"
            case invalidField = "invalid_field"
            case unknownAction = "unknown_action"
            case badTTL = "bad_ttl"
            case ttlTooLong = "ttl_too_long"
            case unknownBreaker = "unknown_breaker"
            case notPersisted = "not_persisted"
            case tooManyClients = "too_many_clients"
            case stateFileUnreadable = "state_file_unreadable"
            case stateFileCorrupt = "state_file_corrupt"
            case stateFileUnsafe = "state_file_unsafe"
            case stateFileNotWritten = "state_file_not_written"
        }

        private let backing: Backing

        private init(_ backing: Backing) {
            self.backing = backing
        }

        /// The request body is not a JSON object.
        public static let badJSON = Code(.badJSON)
        /// The request body has a key the API does not know (a typo such as `TTL` is refused, not ignored).
        public static let unknownField = Code(.unknownField)
        /// A required key (`action`, `reason`, `ttl`) is absent.
        public static let missingField = Code(.missingField)
        /// A key has a value of the wrong type, or an empty or overlong reason.
        public static let invalidField = Code(.invalidField)
        /// `action` is none of `force_open`, `disable`, `reset`.
        public static let unknownAction = Code(.unknownAction)
        /// `ttl` is not a duration such as `30m`, `1h30m` or `90s`, or is not positive.
        public static let badTTL = Code(.badTTL)
        /// `ttl` exceeds the configured maximum.
        public static let ttlTooLong = Code(.ttlTooLong)
        /// No breaker has the name in the path.
        public static let unknownBreaker = Code(.unknownBreaker)
        /// The override is in force but the state file could not be written, so it would not survive a restart.
        public static let notPersisted = Code(.notPersisted)
        /// The event stream has as many clients as it allows.
        public static let tooManyClients = Code(.tooManyClients)
        /// The state file exists but cannot be read.
        public static let stateFileUnreadable = Code(.stateFileUnreadable)
        /// The state file is not a state file this version understands, or some of its entries are invalid.
        public static let stateFileCorrupt = Code(.stateFileCorrupt)
        /// The state file is a symbolic link, not a regular file, or owned by another user: it is refused and left
        /// as it is.
        public static let stateFileUnsafe = Code(.stateFileUnsafe)
        /// Writing the state file failed (no space, no permission, …).
        public static let stateFileNotWritten = Code(.stateFileNotWritten)

        /// The snake-case name: the `code` of the API's JSON error body.
        public var description: String { backing.rawValue }

        /// The HTTP status the API answers with.
        public var httpStatus: HTTPResponse.Status {
            switch backing {
            case .unknownBreaker: .notFound
            case .tooManyClients: .serviceUnavailable
            case .notPersisted, .stateFileUnreadable, .stateFileCorrupt, .stateFileUnsafe, .stateFileNotWritten:
                .internalServerError
            default: .badRequest
            }
        }
    }

    /// What kind of problem it is; the only part that equality compares.
    public let code: Code
    /// What happened, for a person to read.
    public let message: String
    /// The source file that raised the error (for debugging; not compared).
    public let file: String
    /// The source line that raised the error (for debugging; not compared).
    public let line: Int

    /// Creates an error.
    public init(_ code: Code, _ message: String, file: String = #fileID, line: Int = #line) {
        self.code = code
        self.message = message
        self.file = file
        self.line = line
    }

    /// Compares the codes.
    public static func == (lhs: OperationsError, rhs: OperationsError) -> Bool {
        lhs.code == rhs.code
    }

    /// Hashes the code.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(code)
    }

    /// For example `unknown_breaker: no breaker is called "payment"`.
    public var description: String { "\(code): \(message)" }
}
