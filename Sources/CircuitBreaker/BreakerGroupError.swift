/// Why a ``BreakerGroup`` gave a key no breaker: the group is full and its overflow policy rejects, or the key is
/// one no breaker can have (empty, or longer than ``BreakerGroup/Configuration-swift.struct/maximumKeyLength``).
///
/// ```swift
/// do { try await partners.execute(key: host) { try await client.get(url) } }
/// catch let error as BreakerGroupError where error.code == .overflow { /* serve from cache */ }
/// ```
/// Shaped like ``ConfigurationError``: a ``code`` that new cases can be added to without breaking the API, and
/// equality on the code alone.
public struct BreakerGroupError: Error, Hashable, CustomStringConvertible {
    /// What went wrong. New codes may be added without breaking the API.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Backing: Hashable, Sendable {
            case overflow
            case emptyKey
            case keyTooLong
        }

        private let backing: Backing

        private init(_ backing: Backing) {
            self.backing = backing
        }

        /// The group holds its maximum number of keys, none of them idle, and its overflow policy is
        /// ``BreakerGroup/OverflowPolicy/reject``: the call was not run.
        public static let overflow = Code(.overflow)
        /// The key is the empty string, which no breaker can have: its series would be the overflow breaker's.
        public static let emptyKey = Code(.emptyKey)
        /// The key is longer than the group's ``BreakerGroup/Configuration-swift.struct/maximumKeyLength`` (in
        /// UTF-8 bytes).
        public static let keyTooLong = Code(.keyTooLong)

        /// A short name of the code.
        public var description: String {
            switch backing {
            case .overflow: "overflow"
            case .emptyKey: "emptyKey"
            case .keyTooLong: "keyTooLong"
            }
        }
    }

    /// What went wrong; the only part that equality compares.
    public let code: Code
    /// The group's name.
    public let groupName: String
    /// The key, cut to its first 64 characters (a key that is too long may be very long).
    public let key: String
    /// The limit that was reached: the maximum number of keys, or the maximum key length.
    public let limit: Int?

    /// Creates an error.
    public init(_ code: Code, groupName: String, key: String, limit: Int? = nil) {
        self.code = code
        self.groupName = groupName
        self.key = key.utf8.count > 64 ? String(key.prefix(64)) : key
        self.limit = limit
    }

    /// Errors are equal when their codes are.
    public static func == (lhs: BreakerGroupError, rhs: BreakerGroupError) -> Bool {
        lhs.code == rhs.code
    }

    /// Hashes the code.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(code)
    }

    /// For example `circuit breaker group "partners" holds its maximum of 1000 keys, none idle: key "a.example" was
    /// rejected`.
    public var description: String {
        switch code {
        case .overflow:
            let limit = limit.map { "its maximum of \($0) keys" } ?? "its maximum number of keys"
            return "circuit breaker group \"\(groupName)\" holds \(limit), none idle: key \"\(key)\" was rejected"
        case .emptyKey:
            return "circuit breaker group \"\(groupName)\": the empty string is not a key"
        default:
            let limit = limit.map { " (\($0) bytes)" } ?? ""
            return "circuit breaker group \"\(groupName)\": key \"\(key)…\" is longer than the maximum\(limit)"
        }
    }
}
