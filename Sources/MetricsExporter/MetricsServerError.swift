/// An error thrown while validating a ``MetricsServerConfiguration`` or while starting a ``MetricsServer``.
///
/// Compare errors by ``code``; the ``message`` carries the details (the address in use, the setting at fault).
/// New codes can be added without breaking the API.
public struct MetricsServerError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kind of failure.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Kind: Hashable, Sendable {
            case invalidConfiguration
            case addressInUse
            case bindFailed
            case tlsUnavailable
            case tlsSetupFailed
            case startFailed
            case alreadyRunning
        }

        private let kind: Kind

        private init(_ kind: Kind) {
            self.kind = kind
        }

        /// A setting is out of range or inconsistent; the message names it.
        public static let invalidConfiguration = Code(.invalidConfiguration)
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
        /// ``MetricsServer/start()`` was called on a server that is already running.
        public static let alreadyRunning = Code(.alreadyRunning)

        /// A short description of the code.
        public var description: String {
            switch self.kind {
            case .invalidConfiguration: "invalid configuration"
            case .addressInUse: "address already in use"
            case .bindFailed: "cannot listen"
            case .tlsUnavailable: "TLS not supported by libmicrohttpd"
            case .tlsSetupFailed: "TLS setup failed"
            case .startFailed: "server failed to start"
            case .alreadyRunning: "server already running"
            }
        }
    }

    /// The kind of failure; the only property used for equality and hashing.
    public let code: Code
    /// Details for humans, for example the address that is in use.
    public let message: String
    /// The file that raised the error (`#fileID`).
    public let file: String
    /// The line that raised the error.
    public let line: Int

    /// Creates an error; the library raises these, tests and wrappers may create them too.
    public init(_ code: Code, _ message: String, file: String = #fileID, line: Int = #line) {
        self.code = code
        self.message = message
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

    /// `MetricsServerError(<code>): <message> (<file>:<line>)`.
    public var description: String {
        "MetricsServerError(\(self.code)): \(self.message) (\(self.file):\(self.line))"
    }
}
