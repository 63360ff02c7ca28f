import MetricsExporter
import Testing

@Suite("Web configuration file")
struct WebConfigurationTests {
    static let hash = "$2y$10$" + String(repeating: "A", count: 53)

    @Test("Users, comments, quotes and document markers")
    func users() throws {
        let web = try WebConfiguration(
            parsing: """
                ---
                # users only
                basic_auth_users:   # trailing comment
                  alice: \(Self.hash)
                  "bob": "\(Self.hash)"
                  'carol #1': '\(Self.hash)'
                ...
                """
        )
        #expect(web.tls == nil)
        #expect(web.basicAuth?.users == ["alice": Self.hash, "bob": Self.hash, "carol #1": Self.hash])
    }

    @Test("An empty file or empty sections configure nothing")
    func empty() throws {
        #expect(try WebConfiguration(parsing: "") == WebConfiguration())
        #expect(try WebConfiguration(parsing: "# nothing\n\n") == WebConfiguration())
        #expect(try WebConfiguration(parsing: "tls_server_config:\nbasic_auth_users:\n") == WebConfiguration())
    }

    @Test(
        "Errors carry a code and the line",
        arguments: [
            ("tls_server_config:\n\tcert_file: a\n", WebConfigurationError.Code.syntax, 2),
            ("basic_auth_users:\n  a: \(hash)\n  a: \(hash)\n", .duplicateKey, 3),
            ("unknown: 1\n", .unknownKey, 1),
            ("tls_server_config:\n  cert_file: a\n  client_ca_file: b\n", .unknownKey, 3),
            ("tls_server_config:\n  client_auth_type: RequireAndVerifyClientCert\n", .unknownKey, 2),
            ("tls_server_config:\n  min_version: TLS10\n", .invalidValue, 2),
            ("tls_server_config:\n  cert_file: a\n", .invalidValue, 2),
            ("basic_auth_users:\n  alice: plaintext\n", .invalidValue, 2),
            ("basic_auth_users:\n  - alice\n", .unsupportedSyntax, 2),
            ("tls_server_config:\n  cipher_suites: [A, B]\n", .unsupportedSyntax, 2),
            ("basic_auth_users: &users\n", .unsupportedSyntax, 1),
            ("tls_server_config:\n  cert_file: |\n    x\n", .unsupportedSyntax, 2),
            ("basic_auth_users:\n  alice: \"unterminated\n", .syntax, 2),
            ("basic_auth_users:\n  just text\n", .syntax, 2),
            ("basic_auth_users:\n    alice: \(hash)\n  bob: \(hash)\n", .syntax, 3),
            ("  indented: 1\n", .syntax, 1),
            ("basic_auth_users: text\n", .invalidValue, 1),
            ("http_server_config:\n  headers:\n    X: y\n", .unknownKey, 2),
            ("http_server_config:\n  http2: maybe\n", .invalidValue, 2),
            ("a: 1\n---\nb: 2\n", .unsupportedSyntax, 2),
        ]
    )
    func errors(text: String, code: WebConfigurationError.Code, line: Int) {
        let error = #expect(throws: WebConfigurationError.self) { try WebConfiguration(parsing: text) }
        #expect(error?.code == code, "\(String(describing: error))")
        #expect(error?.line == line, "\(String(describing: error))")
    }

    @Test("Missing files are typed errors")
    func unreadable() {
        let missing = #expect(throws: WebConfigurationError.self) {
            try WebConfiguration(contentsOfFile: "/nonexistent/web.yml")
        }
        #expect(missing?.code == .unreadableFile)
        let missingCertificate = #expect(throws: WebConfigurationError.self) {
            try WebConfiguration(
                parsing: "tls_server_config:\n  cert_file: a.crt\n  key_file: a.key\n",
                relativeTo: "/nonexistent"
            )
        }
        #expect(missingCertificate?.code == .unreadableFile)
        #expect(missingCertificate?.message.contains("/nonexistent/a.crt") == true)
    }
}
