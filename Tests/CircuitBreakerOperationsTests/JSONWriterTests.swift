import Foundation
import Testing

@testable import CircuitBreakerOperations

@Suite("The hand-written JSON of the status API")
struct JSONWriterTests {
    @Test("strings are escaped, numbers round-trip, non-finite numbers are null, commas fall in place")
    func writes() throws {
        var json = JSONWriter()
        json.beginObject()
        json.key("text")
        json.string("a \"quoted\" \\ line\nand\ttab \u{1} é")
        json.key("numbers")
        json.beginArray()
        json.integer(-42)
        json.unsigned(UInt64.max)
        json.number(0.1)
        json.number(Double.nan)
        json.seconds(.milliseconds(1_500))
        json.bool(true)
        json.string(nil)
        json.endArray()
        json.endObject()
        let text = String(decoding: json.bytes, as: UTF8.self)
        #expect(text.contains(#""numbers":[-42,18446744073709551615,0.1,null,1.5,true,null]"#))
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(json.bytes)) as? [String: Any])
        #expect(parsed["text"] as? String == "a \"quoted\" \\ line\nand\ttab \u{1} é")
    }
}
