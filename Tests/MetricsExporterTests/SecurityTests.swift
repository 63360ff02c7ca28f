import Foundation
import TestSupport
import MetricsEndpoint
import MetricsExporter
import Testing

/// Makes a self-signed certificate for 127.0.0.1 and localhost with openssl (tests that call it declare
/// `.requires(.openssl)`).
func makeCertificate(in directory: TemporaryDirectory) async throws {
    let result = try await runProcess(
        try #require(ExternalTool.openssl.path, "openssl is not on PATH"),
        [
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", directory.file("server.key"), "-out", directory.file("server.crt"), "-days", "1",
            "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
        ]
    )
    try #require(result.status == 0, "openssl failed: \(result.stderr)")
}

/// A `$2y$` bcrypt hash made in process by libcrypt, as `htpasswd -nbB -C cost` makes one (the cheapest cost by
/// default, to keep tests fast); `htpasswdCompatibility` checks a hash of the real htpasswd.
func bcryptHash(user: String, password: String, cost: Int = 4) throws -> String {
    try #require(makeBcryptHash(password: password, cost: cost), "libcrypt made no bcrypt hash")
}

/// A bcrypt hash made by Apache's htpasswd (`$2y$`).
func htpasswdHash(user: String, password: String, cost: Int = 4) async throws -> String {
    let htpasswd = try #require(ExternalTool.htpasswd.path, "htpasswd is not on PATH")
    let result = try await runProcess(htpasswd, ["-nbB", "-C", String(cost), user, password])
    try #require(result.status == 0, "htpasswd failed: \(result.stderr)")
    let line = try #require(result.text.split(separator: "\n").first)
    return String(try #require(line.split(separator: ":", maxSplits: 1).last))
}

@Suite("TLS and basic auth")
struct SecurityTests {
    @Test("HTTPS with a certificate from PEM files", .requires(.openssl), .requires(.curl), .tags(.externalTool))
    func tls() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        try await makeCertificate(in: directory)
        var configuration = testConfiguration()
        configuration.tls = try .init(
            certificateFile: directory.file("server.crt"),
            keyFile: directory.file("server.key")
        )
        try await withServer(configuration) { server, base in
            #expect(base.hasPrefix("https://"))
            let response = try await curlRequest(base + "/metrics", ["--cacert", directory.file("server.crt")])
            #expect(response.status == 200)
            #expect(response.text.contains("demo_requests_total{route=\"a\"} 42"))
            // TLS 1.1 is refused by default.
            let old = try await curl(["--cacert", directory.file("server.crt"), "--tls-max", "1.1", base + "/metrics"])
            #expect(old.status != 0)
            // Plain HTTP to the TLS port gets no HTTP answer, and the server keeps serving.
            let plain = try await curl([
                "-o", "/dev/null", "-w", "%{http_code}", "http://\(try #require(server.boundAddress))/",
            ])
            #expect(plain.text != "200")
            let again = try await curlRequest(base + "/-/healthy", ["--cacert", directory.file("server.crt")])
            #expect(again.status == 200)
        }
    }

    @Test("An unreadable key file is a typed error")
    func missingKey() {
        let error = #expect(throws: MetricsServerError.self) {
            _ = try MetricsServerConfiguration.TLS(certificateFile: "/nonexistent.crt", keyFile: "/nonexistent.key")
        }
        #expect(error?.code == .tlsSetupFailed)
    }

    // "A key that does not parse is a typed error at start" is in DaemonSocketTests, with the port freed after it.

    @Test("Basic auth: right, wrong, unknown and malformed credentials")
    func basicAuth() async throws {
        let hash = try bcryptHash(user: "prometheus", password: "s3cret:with:colons")
        #expect(hash.hasPrefix("$2y$04$"))
        var configuration = testConfiguration()
        configuration.basicAuth = .init(users: ["prometheus": hash], realm: "test realm")
        try await withServer(configuration) { _, base in
            let anonymous = try await httpRequest(base + "/metrics")
            #expect(anonymous.status == 401)
            #expect(anonymous.headers["www-authenticate"]?.hasPrefix("Basic realm=\"test realm\"") == true)

            let right = try await httpRequest(base + "/metrics", ["-u", "prometheus:s3cret:with:colons"])
            #expect(right.status == 200)
            #expect(right.text.contains("demo_requests_total"))
            // Cached the second time; still right.
            #expect(try await httpRequest(base + "/metrics", ["-u", "prometheus:s3cret:with:colons"]).status == 200)

            #expect(try await httpRequest(base + "/metrics", ["-u", "prometheus:wrong"]).status == 401)
            #expect(try await httpRequest(base + "/metrics", ["-u", "prometheus:s3cret:with:colon"]).status == 401)
            #expect(try await httpRequest(base + "/metrics", ["-u", "nobody:s3cret:with:colons"]).status == 401)
            for header in ["Basic", "Basic !!!!", "Bearer abc", "Basic cHJvbWV0aGV1cw==", "basic"] {
                let response = try await httpRequest(base + "/metrics", ["-H", "Authorization: \(header)"])
                #expect(response.status == 401, "\(header)")
            }
            // Every route is protected, including the refusals.
            #expect(try await httpRequest(base + "/").status == 401)
            #expect(try await httpRequest(base + "/", ["-u", "prometheus:s3cret:with:colons"]).status == 200)
            #expect(try await httpRequest(base + "/metrics", ["-X", "POST"]).status == 401)
            // The scheme name is case-insensitive.
            let token = Data("prometheus:s3cret:with:colons".utf8).base64EncodedString()
            let lower = try await httpRequest(base + "/metrics", ["-H", "Authorization: basic \(token)"])
            #expect(lower.status == 200)
        }
    }

    @Test("A hash made by Apache's htpasswd, as operators make them, is accepted", .requires(.htpasswd), .tags(.externalTool))
    func htpasswdCompatibility() async throws {
        let hash = try await htpasswdHash(user: "prometheus", password: "s3cret:with:colons")
        #expect(hash.hasPrefix("$2y$04$"))
        var configuration = testConfiguration()
        configuration.basicAuth = .init(users: ["prometheus": hash])
        try await withServer(configuration) { _, base async throws -> Void in
            #expect(try await httpRequest(base + "/metrics", ["-u", "prometheus:s3cret:with:colons"]).status == 200)
            #expect(try await httpRequest(base + "/metrics", ["-u", "prometheus:wrong"]).status == 401)
        }
    }

    @Test("$2b$ hashes work too (same algorithm as $2y$)")
    func bcrypt2b() async throws {
        let hash = try bcryptHash(user: "u", password: "p")
        let hash2b = "$2b$" + hash.dropFirst(4)
        var configuration = testConfiguration()
        configuration.basicAuth = .init(users: ["u": hash2b])
        try await withServer(configuration) { _, base in
            let right = try await httpRequest(base + "/metrics", ["-u", "u:p"])
            let wrong = try await httpRequest(base + "/metrics", ["-u", "u:q"])
            #expect(right.status == 200)
            #expect(wrong.status == 401)
        }
    }

    @Test(
        "A Prometheus web configuration file with TLS and basic auth, relative paths",
        .requires(.openssl),
        .requires(.curl),
        .tags(.externalTool)
    )
    func webConfigurationFile() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        try await makeCertificate(in: directory)
        let hash = try bcryptHash(user: "scraper", password: "pw")
        try directory.write(
            "web.yml",
            """
            # exporter-toolkit web configuration
            tls_server_config:
              cert_file: server.crt
              key_file: "server.key"
              min_version: TLS12
            http_server_config:
              http2: true
            basic_auth_users:
              scraper: '\(hash)'

            """
        )
        let web = try WebConfiguration(contentsOfFile: directory.file("web.yml"))
        var configuration = testConfiguration()
        configuration.apply(web)
        #expect(configuration.tls?.minimumVersion == .tls12)
        #expect(configuration.basicAuth?.users == ["scraper": hash])
        try await withServer(configuration) { _, base in
            let ok = try await curlRequest(
                base + "/metrics",
                ["--cacert", directory.file("server.crt"), "-u", "scraper:pw"]
            )
            #expect(ok.status == 200)
            let denied = try await curlRequest(base + "/metrics", ["--cacert", directory.file("server.crt")])
            #expect(denied.status == 401)
        }
    }
}
