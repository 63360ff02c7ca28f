import Foundation
import MetricsExporter
import Testing
import TestSupport

@Suite("Web configuration file")
struct WebConfigurationTests {
    static let hash = "$2y$10$" + String(repeating: "A", count: 53)
    static let otherHash = "$2y$10$" + String(repeating: "B", count: 53)

    @Test("Users, admin users, comments, quotes and document markers")
    func users() throws {
        let web = try WebConfiguration(
            parsing: """
                ---
                # users only
                basic_auth_users:   # trailing comment
                  alice: \(Self.hash)
                  "bob": "\(Self.hash)"
                  'carol #1': '\(Self.hash)'
                admin_users:
                  operator: \(Self.otherHash)
                ...
                """
        )
        #expect(web.tls == nil)
        #expect(web.basicAuth?.users == ["alice": Self.hash, "bob": Self.hash, "carol #1": Self.hash])
        #expect(web.basicAuth?.adminUsers == ["operator": Self.otherHash])
        let adminsOnly = try WebConfiguration(parsing: "admin_users:\n  root: \(Self.hash)\n")
        #expect(adminsOnly.basicAuth?.users == [:])
        #expect(adminsOnly.basicAuth?.adminUsers == ["root": Self.hash])
    }

    @Test("An empty file or empty sections configure nothing; YAML the old subset refused now parses")
    func empty() throws {
        #expect(try WebConfiguration(parsing: "") == WebConfiguration())
        #expect(try WebConfiguration(parsing: "# nothing\n\n") == WebConfiguration())
        #expect(try WebConfiguration(parsing: "tls_server_config:\nbasic_auth_users:\n") == WebConfiguration())
        #expect(try WebConfiguration(parsing: "basic_auth_users: {}\n") == WebConfiguration())
        let flow = try WebConfiguration(parsing: "basic_auth_users: {alice: '\(Self.hash)'}\n")
        #expect(flow.basicAuth?.users == ["alice": Self.hash])
    }

    @Test(
        "Errors carry a code, the YAML line and the key",
        arguments: [
            ("tls_server_config:\n\tcert_file: a\n", MetricsServerError.Code.invalidYAML, 2, nil),
            ("basic_auth_users:\n  a: \(hash)\n  a: \(hash)\n", .duplicateKey, 2, "a"),
            ("unknown: 1\n", .unknownKey, 1, "unknown"),
            (
                "tls_server_config:\n  cert_file: a\n  client_ca_file: b\n", .unknownKey, 3,
                "tls_server_config.client_ca_file"
            ),
            (
                "tls_server_config:\n  client_auth_type: RequireAndVerifyClientCert\n", .unknownKey, 2,
                "tls_server_config.client_auth_type"
            ),
            ("tls_server_config:\n  min_version: TLS10\n", .invalidConfiguration, 2, "tls_server_config.min_version"),
            ("tls_server_config:\n  cert_file: a\n", .invalidConfiguration, 2, "tls_server_config"),
            ("basic_auth_users:\n  alice: plaintext\n", .invalidConfiguration, 2, "basic_auth_users.alice"),
            ("admin_users:\n  alice: plaintext\n", .invalidConfiguration, 2, "admin_users.alice"),
            ("basic_auth_users:\n  - alice\n", .invalidConfiguration, 2, "basic_auth_users"),
            ("tls_server_config:\n  cipher_suites: [A, B]\n", .unknownKey, 2, "tls_server_config.cipher_suites"),
            ("basic_auth_users:\n  alice: \"unterminated\n", .invalidYAML, 3, nil),
            ("basic_auth_users:\n    alice: \(hash)\n  bob: \(hash)\n", .invalidYAML, 3, nil),
            ("basic_auth_users: text\n", .invalidConfiguration, 1, "basic_auth_users"),
            ("http_server_config:\n  headers:\n    X: y\n", .unknownKey, 2, "http_server_config.headers"),
            ("http_server_config:\n  http2: maybe\n", .invalidConfiguration, 2, "http_server_config.http2"),
            ("a: 1\n---\nb: 2\n", .invalidYAML, 2, nil),
            ("- just\n- a list\n", .invalidConfiguration, 1, nil),
            ("basic_auth_users:\n  ? [a, b]\n  : x\n", .invalidConfiguration, 2, "basic_auth_users"),
            (
                "basic_auth_users:\n  a: \(hash)\nadmin_users:\n  a: \(hash)\n", .invalidConfiguration, nil,
                "admin_users.a"
            ),
            ("basic_auth_users:\n  \"a:b\": \(hash)\n", .invalidConfiguration, 2, "basic_auth_users.a:b"),
            (String(repeating: "[", count: 100_000), .invalidYAML, 1, nil),
        ] as [(String, MetricsServerError.Code, Int?, String?)]
    )
    func errors(text: String, code: MetricsServerError.Code, yamlLine: Int?, key: String?) {
        let error = #expect(throws: MetricsServerError.self) { try WebConfiguration(parsing: text) }
        #expect(error?.code == code, "\(String(describing: error))")
        #expect(error?.yamlLine == yamlLine, "\(String(describing: error))")
        #expect(error?.key == key, "\(String(describing: error))")
    }

    @Test("Missing files are typed errors")
    func unreadable() {
        let missing = #expect(throws: MetricsServerError.self) {
            try WebConfiguration(contentsOfFile: "/nonexistent/web.yml")
        }
        #expect(missing?.code == .unreadableFile)
        let missingCertificate = #expect(throws: MetricsServerError.self) {
            try WebConfiguration(
                parsing: "tls_server_config:\n  cert_file: a.crt\n  key_file: a.key\n",
                relativeTo: "/nonexistent"
            )
        }
        #expect(missingCertificate?.code == .unreadableFile)
        #expect(missingCertificate?.message.contains("/nonexistent/a.crt") == true)
    }

    @Test("No input crashes the parser: mutations of a valid file either parse or throw a typed error")
    func fuzz() {
        let valid = Array(
            """
            tls_server_config:
              min_version: "TLS13"
              client_auth_type: NoClientCert
            http_server_config:
              http2: false
            basic_auth_users:
              alice: '\(Self.hash)'
            admin_users: {root: \(Self.otherHash)}

            """.utf8
        )
        let alphabet = Array(":-?[]{}#&*!|>'\"%@`,\t\n \\~=$".utf8) + [0x00, 0xFF, 0xC3, 0x0D]
        var generator = SeededGenerator(seed: 10)
        var parsed = 0
        var refused = 0
        for _ in 0..<3_000 {
            var bytes = valid
            for _ in 0..<(1 + Int(generator.next() % 6)) {
                let position = Int(generator.next() % UInt64(bytes.count + 1))
                switch generator.next() % 4 {
                case 0 where position < bytes.count: bytes.remove(at: position)
                case 1: bytes.insert(alphabet[Int(generator.next() % UInt64(alphabet.count))], at: position)
                case 2: bytes.insert(contentsOf: repeatElement(UInt8(ascii: "["), count: 200), at: position)
                default:
                    if position < bytes.count { bytes[position] = UInt8(truncatingIfNeeded: generator.next()) }
                }
            }
            let text = String(decoding: bytes, as: UTF8.self)
            do {
                _ = try WebConfiguration(parsing: text, relativeTo: "/nonexistent")
                parsed += 1
            } catch {
                refused += 1
            }
        }
        // Both outcomes happen, so the mutations reach past the first byte.
        #expect(parsed > 0 && refused > 0, "parsed \(parsed), refused \(refused)")
    }
}
