@testable import MetricsExporter
import Testing

@Suite("Parsing helpers")
struct InternalsTests {
    @Test("Strict Base64")
    func base64() {
        #expect(Base64.decode(Array("dXNlcjpwYXNz".utf8)) == Array("user:pass".utf8))
        #expect(Base64.decode(Array("YQ==".utf8)) == Array("a".utf8))
        #expect(Base64.decode(Array("YWI=".utf8)) == Array("ab".utf8))
        #expect(Base64.decode(Array("".utf8)) == [])
        #expect(Base64.decode(Array("YQ".utf8)) == nil)  // unpadded
        #expect(Base64.decode(Array("YQ=a".utf8)) == nil)  // data after padding
        #expect(Base64.decode(Array("Y===".utf8)) == nil)
        #expect(Base64.decode(Array("YR==".utf8)) == nil)  // non-zero trailing bits
        #expect(Base64.decode(Array("YQ==YQ==".utf8)) == nil)  // padding in the middle
        #expect(Base64.decode(Array("dXNl cjpw".utf8)) == nil)
    }

    @Test("Basic credentials")
    func credentials() throws {
        let parsed = try #require(BasicAuthenticator.parseBasicCredentials(Array("Basic dXNlcjpwOmFzcw==".utf8)))
        #expect(parsed.user == "user")
        #expect(parsed.password == Array("p:ass".utf8))
        #expect(BasicAuthenticator.parseBasicCredentials(Array("BASIC   dXNlcjpwYXNz  ".utf8))?.user == "user")
        #expect(BasicAuthenticator.parseBasicCredentials(Array("Basic dXNlcg==".utf8)) == nil)  // no colon
        #expect(BasicAuthenticator.parseBasicCredentials(Array("Basicx dXNlcjpwYXNz".utf8)) == nil)
        #expect(BasicAuthenticator.parseBasicCredentials(Array("Basic".utf8)) == nil)
        #expect(BasicAuthenticator.parseBasicCredentials(Array("Basic /w==".utf8)) == nil)  // not UTF-8 user
    }

    @Test("Accept-Encoding")
    func acceptEncoding() {
        #expect(acceptsGzip(Array("gzip".utf8)))
        #expect(acceptsGzip(Array("deflate, GZIP;q=0.5".utf8)))
        #expect(acceptsGzip(Array("*".utf8)))
        #expect(acceptsGzip(Array("x-gzip".utf8)))
        #expect(!acceptsGzip(Array("identity".utf8)))
        #expect(!acceptsGzip(Array("gzip;q=0".utf8)))
        #expect(!acceptsGzip(Array("*, gzip;q=0.0".utf8)))
        #expect(!acceptsGzip(Array("".utf8)))
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

    @Test("HTML and label escaping")
    func escaping() {
        #expect(LandingPage.escape("<a href='x'>&\"</a>") == "&lt;a href=&#39;x&#39;&gt;&amp;&quot;&lt;/a&gt;")
        #expect(SelfMetrics.escapeLabelValue("a\\b\"c\nd") == "a\\\\b\\\"c\\nd")
    }

    @Test("Decimal rendering")
    func decimal() {
        for value: UInt64 in [0, 7, 10, 1_234_567_890, .max] {
            var buffer: [UInt8] = []
            appendDecimal(value, to: &buffer)
            #expect(String(decoding: buffer, as: UTF8.self) == String(value))
        }
    }
}
