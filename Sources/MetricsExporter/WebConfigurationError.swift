/// An error in a Prometheus web configuration file, with the line it was found on.
///
/// Compare errors by ``code``; ``line`` is 1-based, or `nil` for errors about the file as a whole.
public struct WebConfigurationError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kind of failure.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Kind: Hashable, Sendable {
            case unreadableFile
            case syntax
            case unsupportedSyntax
            case duplicateKey
            case unknownKey
            case invalidValue
        }

        private let kind: Kind

        private init(_ kind: Kind) {
            self.kind = kind
        }

        /// The configuration file, or a certificate or key file it names, cannot be read.
        public static let unreadableFile = Code(.unreadableFile)
        /// The text is not valid YAML (bad indentation, an unterminated quote, a line without `key:`).
        public static let syntax = Code(.syntax)
        /// Valid YAML this reader does not support (sequences, flow collections, anchors, tags, block scalars).
        public static let unsupportedSyntax = Code(.unsupportedSyntax)
        /// A key appears twice in one mapping.
        public static let duplicateKey = Code(.duplicateKey)
        /// A key that the file format does not have, or a setting this server does not implement; the server
        /// refuses it rather than silently ignoring a security setting.
        public static let unknownKey = Code(.unknownKey)
        /// A value of the wrong kind or out of range.
        public static let invalidValue = Code(.invalidValue)

        /// A short description of the code.
        public var description: String {
            switch self.kind {
            case .unreadableFile: "unreadable file"
            case .syntax: "syntax error"
            case .unsupportedSyntax: "unsupported YAML"
            case .duplicateKey: "duplicate key"
            case .unknownKey: "unknown or unsupported key"
            case .invalidValue: "invalid value"
            }
        }
    }

    /// The kind of failure; the only property used for equality and hashing.
    public let code: Code
    /// Details for humans.
    public let message: String
    /// The 1-based line in the configuration file, or `nil` when the error is not about one line.
    public let line: Int?
    /// The file that raised the error (`#fileID`).
    public let file: String
    /// The source line that raised the error.
    public let sourceLine: Int

    /// Creates an error.
    public init(_ code: Code, _ message: String, line: Int?, file: String = #fileID, sourceLine: Int = #line) {
        self.code = code
        self.message = message
        self.line = line
        self.file = file
        self.sourceLine = sourceLine
    }

    /// Errors are equal when their codes are equal.
    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.code == rhs.code
    }

    /// Hashes the code only.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(self.code)
    }

    /// `WebConfigurationError(<code>) line <n>: <message>`.
    public var description: String {
        let place = self.line.map { " line \($0)" } ?? ""
        return "WebConfigurationError(\(self.code))\(place): \(self.message) (\(self.file):\(self.sourceLine))"
    }
}
