import Foundation
@testable import MetricsExporter
import PortableRoutes
import Testing
import TestSupport

@Suite("Path patterns and percent-decoding")
struct PathPatternTests {
    private func match(_ pattern: String, _ path: String) throws -> [String: String]? {
        let compiled = try PathPattern(pattern)
        return Array(path.utf8).withUnsafeBufferPointer { bytes in
            compiled.match(bytes).map { pairs in
                Dictionary(pairs.map { ($0.name, String(decoding: $0.raw, as: UTF8.self)) }) { $1 }
            }
        }
    }

    @Test("Literal segments match exactly, still encoded; parameters take one whole segment")
    func matching() throws {
        #expect(try self.match("/", "/") == [:])
        #expect(try self.match("/", "/x") == nil)
        #expect(try self.match("/metrics", "/metrics") == [:])
        #expect(try self.match("/metrics", "/metrics/") == nil)
        #expect(try self.match("/metrics", "/%6detrics") == nil)
        #expect(try self.match("/a/{name}", "/a/b%2Fc") == ["name": "b%2Fc"])
        #expect(try self.match("/a/{name}", "/a/b/c") == nil)
        #expect(try self.match("/a/{name}/override", "/a/x/override") == ["name": "x"])
        #expect(try self.match("/a/{name}", "/a/") == ["name": ""])
        #expect(try self.match("/a/{name}", "a/x") == nil)
    }

    @Test(
        "Malformed patterns are typed errors",
        arguments: ["", "metrics", "/a//b", "/{", "/{}", "/{1x}", "/{a}/{a}", "/a b", "/a?b", "/%41", "/{a}x"]
    )
    func malformed(pattern: String) {
        let error = #expect(throws: PathPattern.Invalid.self) { try PathPattern(pattern) }
        #expect(error?.description.hasPrefix("path '\(pattern)': ") == true)
    }

    @Test("A literal beats a parameter at the first place they differ")
    func specificity() throws {
        #expect(try PathPattern("/a/events").isMoreSpecific(than: PathPattern("/a/{name}")))
        #expect(try !PathPattern("/a/{name}").isMoreSpecific(than: PathPattern("/a/events")))
    }

    @Test("Percent-decoding is strict and keeps any character")
    func decoding() {
        #expect(percentDecoded(Array("a%2Fb%20c".utf8)) == "a/b c")
        #expect(percentDecoded(Array("%E2%9C%93".utf8)) == "✓")
        #expect(percentDecoded(Array("a+b".utf8)) == "a+b")
        #expect(percentDecoded(Array("a+b".utf8), plusAsSpace: true) == "a b")
        #expect(percentDecoded(Array("%00".utf8)) == "\0")
        for bad in ["%", "%2", "%zz", "%ff", "%C3"] {
            #expect(percentDecoded(Array(bad.utf8)) == nil, "\(bad)")
        }
    }

    @Test("Decoding never traps, whatever the bytes")
    func decodingFuzz() {
        var generator = SeededGenerator(seed: 8)
        for _ in 0..<5_000 {
            let length = Int(generator.next() % 24)
            let bytes = (0..<length).map { _ in
                let pick = generator.next() % 4
                return pick == 0 ? UInt8(ascii: "%") : UInt8(truncatingIfNeeded: generator.next())
            }
            if let decoded = percentDecoded(bytes) { #expect(decoded.utf8.count <= bytes.count) }
        }
    }
}

