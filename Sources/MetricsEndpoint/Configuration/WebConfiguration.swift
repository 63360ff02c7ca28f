import Yams

/// The settings of a Prometheus web configuration file (the `--web.config.file` of exporter-toolkit), so
/// operators can reuse the file they already have, plus an `admin_users` section for admin routes:
///
/// ```yaml
/// tls_server_config:
///   cert_file: server.crt     # relative paths are relative to this file
///   key_file: server.key
///   min_version: TLS12         # optional: TLS12 (default) or TLS13
/// basic_auth_users:            # may scrape (and use other scrape routes)
///   prometheus: $2y$10$...    # bcrypt, for example from `htpasswd -nbB prometheus secret`
/// admin_users:                 # may also use admin routes; bcrypt too
///   operator: $2y$10$...
/// ```
///
/// Supported keys: `tls_server_config.cert_file`, `.key_file`, `.min_version`, `.client_auth_type` (only
/// `NoClientCert`), `http_server_config.http2` (accepted and ignored: the server speaks HTTP/1.1),
/// `basic_auth_users` and `admin_users`. Any other key is refused with ``MetricsServerError/Code/unknownKey``
/// rather than ignored, so a security setting is never silently dropped. Every error about the file names the
/// YAML line (``MetricsServerError/yamlLine``) and the key (``MetricsServerError/key``). The file is parsed with
/// Yams, which refuses duplicate keys and files of more than one document; it is read once, when loaded.
public struct WebConfiguration: Sendable, Hashable {
    /// The TLS settings, or `nil` when the file configures none.
    public var tls: TLS?
    /// The scrape and admin users, or `nil` when the file lists none.
    public var basicAuth: BasicAuth?

    /// The largest file accepted: web configuration files are a few kilobytes.
    static let maximumSize = 1 << 20

    /// Creates web settings directly.
    public init(tls: TLS? = nil, basicAuth: BasicAuth? = nil) {
        self.tls = tls
        self.basicAuth = basicAuth
    }

    /// Loads a web configuration file, and the certificate and key files it names.
    public init(contentsOfFile path: String) throws(MetricsServerError) {
        guard let text = readTextFile(path) else {
            throw MetricsServerError(.unreadableFile, "cannot read \(path) (or it is not UTF-8, or too large)")
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
    public init(parsing text: String, relativeTo directory: String = ".") throws(MetricsServerError) {
        self.init()
        guard text.utf8.count <= Self.maximumSize else {
            throw MetricsServerError(.invalidConfiguration, "the file is larger than \(Self.maximumSize) bytes")
        }
        guard let root = try YAMLReading.root(of: text) else { return }
        for (key, value, line) in try YAMLReading.entries(of: root, path: nil) {
            switch key {
            case "tls_server_config":
                self.tls = try Self.parseTLS(value, directory: directory)
            case "http_server_config":
                try Self.checkHTTPServerConfig(value)
            case "basic_auth_users":
                let users = try Self.parseUsers(value, section: key)
                if !users.isEmpty { self.basicAuth = self.authentication(adding: users, admin: false) }
            case "admin_users":
                let users = try Self.parseUsers(value, section: key)
                if !users.isEmpty { self.basicAuth = self.authentication(adding: users, admin: true) }
            default:
                throw MetricsServerError(.unknownKey, "unknown key", yamlLine: line, key: key)
            }
        }
        if let auth = self.basicAuth, let both = auth.users.keys.sorted().first(where: { auth.adminUsers[$0] != nil }) {
            throw MetricsServerError(
                .invalidConfiguration,
                "'\(both)' is both in basic_auth_users and admin_users (admins may scrape anyway)",
                key: "admin_users.\(both)"
            )
        }
    }

    private func authentication(adding users: [String: String], admin: Bool) -> BasicAuth {
        var auth = self.basicAuth ?? BasicAuth(users: [:])
        if admin { auth.adminUsers = users } else { auth.users = users }
        return auth
    }

    private static func parseTLS(
        _ node: Node,
        directory: String
    ) throws(MetricsServerError) -> TLS? {
        var certificateFile = ""
        var keyFile = ""
        var minimumVersion = TLS.MinimumVersion.tls12
        for (key, value, line) in try YAMLReading.entries(of: node, path: "tls_server_config") {
            let path = "tls_server_config.\(key)"
            switch key {
            case "cert_file":
                certificateFile = try YAMLReading.string(value, path: path)
            case "key_file":
                keyFile = try YAMLReading.string(value, path: path)
            case "min_version":
                let name = try YAMLReading.string(value, path: path)
                guard name.isEmpty || TLS.MinimumVersion(webConfigurationName: name) != nil
                else {
                    throw MetricsServerError(
                        .invalidConfiguration,
                        "min_version '\(name)' is not supported (use TLS12 or TLS13)",
                        yamlLine: line,
                        key: path
                    )
                }
                minimumVersion = .init(webConfigurationName: name) ?? .tls12
            case "client_auth_type":
                let value = try YAMLReading.string(value, path: path)
                guard value.isEmpty || value == "NoClientCert" else {
                    throw MetricsServerError(
                        .unknownKey,
                        "client_auth_type '\(value)' is not supported (client certificates are not implemented)",
                        yamlLine: line,
                        key: path
                    )
                }
            default:
                throw MetricsServerError(.unknownKey, "not supported", yamlLine: line, key: path)
            }
        }
        if certificateFile.isEmpty, keyFile.isEmpty { return nil }
        guard !certificateFile.isEmpty, !keyFile.isEmpty else {
            throw MetricsServerError(
                .invalidConfiguration,
                "tls_server_config needs both cert_file and key_file",
                yamlLine: node.mark?.line,
                key: "tls_server_config"
            )
        }
        let certificatePath = resolve(certificateFile, in: directory)
        let keyPath = resolve(keyFile, in: directory)
        guard let certificate = readTextFile(certificatePath) else {
            throw MetricsServerError(
                .unreadableFile,
                "cannot read cert_file \(certificatePath)",
                key: "tls_server_config.cert_file"
            )
        }
        guard let key = readTextFile(keyPath) else {
            throw MetricsServerError(
                .unreadableFile,
                "cannot read key_file \(keyPath)",
                key: "tls_server_config.key_file"
            )
        }
        return TLS(
            certificatePEM: certificate,
            privateKeyPEM: key,
            minimumVersion: minimumVersion
        )
    }

    private static func checkHTTPServerConfig(_ node: Node) throws(MetricsServerError) {
        for (key, value, line) in try YAMLReading.entries(of: node, path: "http_server_config") {
            let path = "http_server_config.\(key)"
            guard key == "http2" else {
                throw MetricsServerError(.unknownKey, "not supported", yamlLine: line, key: path)
            }
            guard ["true", "false", ""].contains(try YAMLReading.string(value, path: path)) else {
                throw MetricsServerError(.invalidConfiguration, "must be true or false", yamlLine: line, key: path)
            }
        }
    }

    /// A users section: user name to bcrypt hash.
    private static func parseUsers(_ node: Node, section: String) throws(MetricsServerError) -> [String: String] {
        var users: [String: String] = [:]
        for (user, value, line) in try YAMLReading.entries(of: node, path: section) {
            let path = "\(section).\(user)"
            guard isValidUserName(user) else {
                throw MetricsServerError(
                    .invalidConfiguration,
                    "a user name must not be empty nor hold ':' or control characters",
                    yamlLine: line,
                    key: path
                )
            }
            guard isBcryptHash(try YAMLReading.string(value, path: path)) else {
                throw MetricsServerError(
                    .invalidConfiguration,
                    "the password is not a bcrypt hash ($2a$, $2b$ or $2y$)",
                    yamlLine: line,
                    key: path
                )
            }
            let hash = try YAMLReading.string(value, path: path)
            if let cost = bcryptCost(hash), cost > Authenticator.maximumCost {
                throw MetricsServerError(
                    .invalidConfiguration,
                    "bcrypt cost \(cost) is too high: at most \(Authenticator.maximumCost) is accepted "
                        + "(each login would cost the server seconds of CPU); hash the password again, "
                        + "e.g. htpasswd -nbB -C 10",
                    yamlLine: line,
                    key: path
                )
            }
            users[user] = hash
        }
        return users
    }

    private static func resolve(_ path: String, in directory: String) -> String {
        if path.hasPrefix("/") || directory.isEmpty { return path }
        return directory.hasSuffix("/") ? directory + path : directory + "/" + path
    }
}
