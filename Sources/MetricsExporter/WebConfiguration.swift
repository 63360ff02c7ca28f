/// The settings of a Prometheus web configuration file (the `--web.config.file` of exporter-toolkit), so
/// operators can reuse the file they already have:
///
/// ```yaml
/// tls_server_config:
///   cert_file: server.crt     # relative paths are relative to this file
///   key_file: server.key
///   min_version: TLS12         # optional: TLS12 (default) or TLS13
/// basic_auth_users:
///   prometheus: $2y$10$...    # bcrypt, for example from `htpasswd -nbB prometheus secret`
/// ```
///
/// Supported keys: `tls_server_config.cert_file`, `.key_file`, `.min_version`, `.client_auth_type` (only
/// `NoClientCert`), `http_server_config.http2` (accepted and ignored: the server speaks HTTP/1.1), and
/// `basic_auth_users`. Any other key is refused with ``WebConfigurationError/Code/unknownKey`` rather than
/// ignored, so a security setting is never silently dropped. The file is read once, when loaded.
public struct WebConfiguration: Sendable, Hashable {
    /// The TLS settings, or `nil` when the file configures none.
    public var tls: MetricsServerConfiguration.TLS?
    /// The basic-auth users, or `nil` when the file lists none.
    public var basicAuth: MetricsServerConfiguration.BasicAuth?

    /// Creates web settings directly.
    public init(tls: MetricsServerConfiguration.TLS? = nil, basicAuth: MetricsServerConfiguration.BasicAuth? = nil) {
        self.tls = tls
        self.basicAuth = basicAuth
    }

    /// Loads a web configuration file, and the certificate and key files it names.
    public init(contentsOfFile path: String) throws(WebConfigurationError) {
        guard let text = readTextFile(path) else {
            throw WebConfigurationError(.unreadableFile, "cannot read \(path)", line: nil)
        }
        let directory: String
        if let slash = path.lastIndex(of: "/") {
            directory = slash == path.startIndex ? "/" : String(path[..<slash])
        } else {
            directory = "."
        }
        try self.init(parsing: text, relativeTo: directory)
    }

    /// Parses the text of a web configuration file; relative file names are resolved against `directory`.
    public init(parsing text: String, relativeTo directory: String = ".") throws(WebConfigurationError) {
        let root = try YAMLSubsetParser.parse(text)
        self.init()
        guard case .mapping(let entries, _) = root else {
            if case .null = root { return }
            throw WebConfigurationError(.invalidValue, "the file must be a mapping", line: root.line)
        }
        for entry in entries {
            switch entry.key {
            case "tls_server_config":
                self.tls = try Self.parseTLS(entry.value, directory: directory)
            case "http_server_config":
                try Self.checkHTTPServerConfig(entry.value)
            case "basic_auth_users":
                self.basicAuth = try Self.parseUsers(entry.value)
            default:
                throw WebConfigurationError(.unknownKey, "unknown key '\(entry.key)'", line: entry.line)
            }
        }
    }

    private static func mapping(
        _ node: YAMLNode,
        name: String
    ) throws(WebConfigurationError) -> [(key: String, value: YAMLNode, line: Int)] {
        switch node {
        case .mapping(let entries, _): return entries
        case .null: return []
        case .scalar(_, _, let line):
            throw WebConfigurationError(.invalidValue, "'\(name)' must be a mapping", line: line)
        }
    }

    private static func string(_ node: YAMLNode, name: String) throws(WebConfigurationError) -> String {
        switch node {
        case .scalar(let value, _, _): return value
        case .null: return ""
        case .mapping(_, let line):
            throw WebConfigurationError(.invalidValue, "'\(name)' must be a string", line: line)
        }
    }

    private static func parseTLS(
        _ node: YAMLNode,
        directory: String
    ) throws(WebConfigurationError) -> MetricsServerConfiguration.TLS? {
        var certificateFile = ""
        var keyFile = ""
        var minimumVersion = MetricsServerConfiguration.TLS.MinimumVersion.tls12
        for entry in try mapping(node, name: "tls_server_config") {
            switch entry.key {
            case "cert_file":
                certificateFile = try string(entry.value, name: entry.key)
            case "key_file":
                keyFile = try string(entry.value, name: entry.key)
            case "min_version":
                switch try string(entry.value, name: entry.key) {
                case "", "TLS12": minimumVersion = .tls12
                case "TLS13": minimumVersion = .tls13
                case let other:
                    throw WebConfigurationError(
                        .invalidValue,
                        "min_version '\(other)' is not supported (use TLS12 or TLS13)",
                        line: entry.line
                    )
                }
            case "client_auth_type":
                let value = try string(entry.value, name: entry.key)
                guard value.isEmpty || value == "NoClientCert" else {
                    throw WebConfigurationError(
                        .unknownKey,
                        "client_auth_type '\(value)' is not supported (client certificates are not implemented)",
                        line: entry.line
                    )
                }
            default:
                throw WebConfigurationError(
                    .unknownKey,
                    "tls_server_config.\(entry.key) is not supported",
                    line: entry.line
                )
            }
        }
        if certificateFile.isEmpty, keyFile.isEmpty { return nil }
        guard !certificateFile.isEmpty, !keyFile.isEmpty else {
            throw WebConfigurationError(
                .invalidValue,
                "tls_server_config needs both cert_file and key_file",
                line: node.line
            )
        }
        let certificatePath = resolve(certificateFile, in: directory)
        let keyPath = resolve(keyFile, in: directory)
        guard let certificate = readTextFile(certificatePath) else {
            throw WebConfigurationError(.unreadableFile, "cannot read cert_file \(certificatePath)", line: nil)
        }
        guard let key = readTextFile(keyPath) else {
            throw WebConfigurationError(.unreadableFile, "cannot read key_file \(keyPath)", line: nil)
        }
        return MetricsServerConfiguration.TLS(
            certificatePEM: certificate,
            privateKeyPEM: key,
            minimumVersion: minimumVersion
        )
    }

    private static func checkHTTPServerConfig(_ node: YAMLNode) throws(WebConfigurationError) {
        for entry in try mapping(node, name: "http_server_config") {
            guard entry.key == "http2" else {
                throw WebConfigurationError(
                    .unknownKey,
                    "http_server_config.\(entry.key) is not supported",
                    line: entry.line
                )
            }
            let value = try string(entry.value, name: entry.key)
            guard ["true", "false", ""].contains(value) else {
                throw WebConfigurationError(.invalidValue, "http2 must be true or false", line: entry.line)
            }
        }
    }

    private static func parseUsers(
        _ node: YAMLNode
    ) throws(WebConfigurationError) -> MetricsServerConfiguration.BasicAuth? {
        var users: [String: String] = [:]
        for entry in try mapping(node, name: "basic_auth_users") {
            let hash = try string(entry.value, name: entry.key)
            guard isBcryptHash(hash) else {
                throw WebConfigurationError(
                    .invalidValue,
                    "the password of '\(entry.key)' is not a bcrypt hash",
                    line: entry.line
                )
            }
            guard !entry.key.isEmpty, !entry.key.contains(":") else {
                throw WebConfigurationError(.invalidValue, "user names cannot hold ':'", line: entry.line)
            }
            users[entry.key] = hash
        }
        return users.isEmpty ? nil : MetricsServerConfiguration.BasicAuth(users: users)
    }

    private static func resolve(_ path: String, in directory: String) -> String {
        if path.hasPrefix("/") || directory.isEmpty { return path }
        return directory.hasSuffix("/") ? directory + path : directory + "/" + path
    }
}
