@testable import MetricsExporter
import Testing

@Suite("Basic credentials")
struct BasicCredentialsTests {
    private func parse(_ header: String) -> BasicCredentials? {
        BasicCredentials(header: Array(header.utf8))
    }

    @Test("User and password, colons in the password, case-insensitive scheme, spaces around the token")
    func valid() throws {
        let parsed = try #require(self.parse("Basic dXNlcjpwOmFzcw=="))
        #expect(parsed.user == "user")
        #expect(parsed.password == Array("p:ass".utf8))
        #expect(self.parse("BASIC   dXNlcjpwYXNz  ")?.user == "user")
        #expect(self.parse("basic dXNlcjpwYXNz")?.password == Array("pass".utf8))
    }

    @Test(
        "Malformed headers are refused, never guessed at",
        arguments: [
            "Basic dXNlcg==",  // no colon
            "Basicx dXNlcjpwYXNz",  // another scheme
            "Basic",  // no token
            "Basic ",  // empty token
            "Basic /w==",  // the user is not UTF-8
            "Basic dXNlcjpwYXNz!",  // outside the alphabet
            "Basic dXNl cjpw",  // a space inside
            "Basic YQ",  // unpadded
            "Basic YQ==YQ==",  // padding in the middle
            "Bearer dXNlcjpwYXNz",
            "",
        ]
    )
    func malformed(header: String) {
        #expect(self.parse(header) == nil, "\(header)")
    }

    @Test("bcrypt hash shape")
    func bcryptShape() {
        let tail = String(repeating: "a", count: 53)
        #expect(isBcryptHash("$2y$10$" + tail))
        #expect(isBcryptHash("$2b$04$" + tail))
        #expect(!isBcryptHash("$2x$10$" + tail))
        #expect(!isBcryptHash("$2y$03$" + tail))
        #expect(!isBcryptHash("$2y$10$" + tail.dropLast()))
        #expect(!isBcryptHash("$2y$10$" + tail.dropLast() + "!"))
    }
}
