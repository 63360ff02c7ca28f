/// The one error the exporter throws: a bad configuration (in code or in a web configuration file), or a server
/// that cannot start.
///
/// Compare errors by ``code``; equality and hashing use nothing else. The ``message`` says what went wrong in
/// words; errors about a web configuration file also give the ``yamlLine`` and the ``key`` at fault. ``file`` and
/// ``line`` name the place in this library's source that raised the error, for debugging only.
/// New codes can be added without breaking the API.
public struct MetricsServerError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kind of failure.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Kind: Hashable, Sendable {
            case invalidConfiguration
            case invalidRoute
            case addressInUse
            case bindFailed
            case tlsUnavailable
            case tlsSetupFailed
            case startFailed
            case alreadyRunning
            case unreadableFile
            case invalidYAML
            case duplicateKey
            case unknownKey
        }

        private let kind: Kind

        private init(_ kind: Kind) {
            self.kind = kind
        }

        /// A setting is out of range or inconsistent, in code or in a web configuration file; the message names it.
        public static let invalidConfiguration = Code(.invalidConfiguration)
        /// A route's path is malformed, or two routes claim the same path and method; the message names them.
        public static let invalidRoute = Code(.invalidRoute)
        /// The address and port are already bound by another socket.
        public static let addressInUse = Code(.addressInUse)
        /// The listening socket could not be created, bound or put in listening mode for another reason.
        public static let bindFailed = Code(.bindFailed)
        /// TLS was configured but this libmicrohttpd build has no TLS support.
        public static let tlsUnavailable = Code(.tlsUnavailable)
        /// The certificate or key could not be loaded.
        public static let tlsSetupFailed = Code(.tlsSetupFailed)
        /// libmicrohttpd refused to start for another reason.
        public static let startFailed = Code(.startFailed)
        /// `MetricsServer.start()` (MetricsExporter) was called on a server that is already running.
        public static let alreadyRunning = Code(.alreadyRunning)
        /// A web configuration file, or a certificate or key file it names, cannot be read.
        public static let unreadableFile = Code(.unreadableFile)
        /// A web configuration file is not valid YAML, or holds more than one document.
        public static let invalidYAML = Code(.invalidYAML)
        /// A key appears twice in one mapping of a web configuration file.
        public static let duplicateKey = Code(.duplicateKey)
        /// A key that the web configuration format does not have, or a setting this server does not implement;
        /// refused rather than ignored, so a security setting is never silently dropped.
        public static let unknownKey = Code(.unknownKey)

        /// A short description of the code.
        public var description: String {
            switch self.kind {
            case .invalidConfiguration: "invalid configuration"
            case .invalidRoute: "invalid route"
            case .addressInUse: "address already in use"
            case .bindFailed: "cannot listen"
            case .tlsUnavailable: "TLS not supported by libmicrohttpd"
            case .tlsSetupFailed: "TLS setup failed"
            case .startFailed: "server failed to start"
            case .alreadyRunning: "server already running"
            case .unreadableFile: "unreadable file"
            case .invalidYAML: "invalid YAML"
            case .duplicateKey: "duplicate key"
            case .unknownKey: "unknown or unsupported key"
            }
        }
    }

    /// The kind of failure; the only property used for equality and hashing.
    public let code: Code
    /// Details for humans, for example the address that is in use.
    public let message: String
    /// For errors in a web configuration file: the 1-based line in that file, or `nil`.
    public let yamlLine: Int?
    /// For errors in a web configuration file: the key at fault as a dotted path
    /// (`tls_server_config.min_version`), or `nil`.
    public let key: String?
    /// The source file of this library that raised the error (`#fileID`); for debugging only.
    public let file: String
    /// The source line of this library that raised the error; for debugging only.
    public let line: Int

    /// Creates an error; the library raises these, tests and wrappers may create them too.
    public init(
        _ code: Code,
        _ message: String,
        yamlLine: Int? = nil,
        key: String? = nil,
        file: String = #fileID,
        line: Int = #line
    ) {
        self.code = code
        self.message = message
        self.yamlLine = yamlLine
        self.key = key
        self.file = file
        self.line = line
    }

    /// Errors are equal when their codes are equal.
    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.code == rhs.code
    }

    /// Hashes the code only.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(self.code)
    }

    /// `MetricsServerError(<code>): [YAML line <n>, key <k>: ]<message> (<file>:<line>)`.
    public var description: String {
        var place: [String] = []
        if let yamlLine = self.yamlLine { place.append("YAML line \(yamlLine)") }
        if let key = self.key { place.append("key '\(key)'") }
        let prefix = place.isEmpty ? "" : place.joined(separator: ", ") + ": "
        return "MetricsServerError(\(self.code)): \(prefix)\(self.message) (\(self.file):\(self.line))"
    }
}
