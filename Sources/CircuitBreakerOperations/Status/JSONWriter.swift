import CircuitBreakerInternals

/// Writes JSON straight into a byte buffer: the status API's documents, which the benchmark
/// `status: render 1,000 breakers` showed too slow through Foundation's `JSONEncoder` (45 ms for 1,000 breakers
/// against a budget of 5 ms, on the 2-core reference machine), so they are written by hand here and the benchmark
/// is kept. Numbers use the package's exposition number formatting (shortest round-trip decimals); a non-finite
/// number is written as `null`.
///
/// Commas are placed by looking at the last byte written: a value or a key that follows anything but `{`, `[` or
/// `:` gets one, so callers just write keys and values in order.
struct JSONWriter {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int = 1_024) {
        bytes.reserveCapacity(capacity)
    }

    mutating func beginObject() {
        separate()
        bytes.append(UInt8(ascii: "{"))
    }

    mutating func endObject() {
        bytes.append(UInt8(ascii: "}"))
    }

    mutating func beginArray() {
        separate()
        bytes.append(UInt8(ascii: "["))
    }

    mutating func endArray() {
        bytes.append(UInt8(ascii: "]"))
    }

    /// Writes `"key":` (the key must need no escaping: the API's keys are ASCII snake case).
    mutating func key(_ key: StaticString) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        key.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
    }

    mutating func string(_ value: String) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        if value.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            for byte in value.utf8 { appendEscaped(byte) }
        } else {
            bytes.append(contentsOf: value.utf8)
        }
        bytes.append(UInt8(ascii: "\""))
    }

    /// Appends one byte of a string value, escaped as JSON requires (two-byte escapes where JSON has them,
    /// `\u00XX` for the other control characters).
    private mutating func appendEscaped(_ byte: UInt8) {
        let short: UInt8? =
            switch byte {
            case UInt8(ascii: "\""): UInt8(ascii: "\"")
            case UInt8(ascii: "\\"): UInt8(ascii: "\\")
            case UInt8(ascii: "\n"): UInt8(ascii: "n")
            case UInt8(ascii: "\r"): UInt8(ascii: "r")
            case UInt8(ascii: "\t"): UInt8(ascii: "t")
            default: nil
            }
        if let short {
            bytes.append(UInt8(ascii: "\\"))
            bytes.append(short)
        } else if byte < 0x20 {
            bytes.append(contentsOf: "\\u00".utf8)
            bytes.append(Self.hexDigits[Int(byte >> 4)])
            bytes.append(Self.hexDigits[Int(byte & 0xF)])
        } else {
            bytes.append(byte)
        }
    }

    mutating func string(_ value: String?) {
        if let value { string(value) } else { null() }
    }

    mutating func integer(_ value: Int) {
        separate()
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        bytes.appendDecimal(Int64(value.magnitude))
    }

    mutating func integer(_ value: Int?) {
        if let value { integer(value) } else { null() }
    }

    mutating func unsigned(_ value: UInt64?) {
        guard let value else { return null() }
        separate()
        // Decimal digits of any UInt64: the Int64 helper takes the low half, the high digits are written first.
        if value > UInt64(Int64.max) {
            bytes.appendDecimal(Int64(value / 10))
            bytes.append(UInt8(ascii: "0") + UInt8(value % 10))
        } else {
            bytes.appendDecimal(Int64(value))
        }
    }

    mutating func number(_ value: Double) {
        guard value.isFinite else { return null() }
        separate()
        bytes.appendDouble(value)
    }

    mutating func number(_ value: Double?) {
        if let value { number(value) } else { null() }
    }

    /// A duration in seconds, exactly (up to nine decimals).
    mutating func seconds(_ value: Duration?) {
        guard let value else { return null() }
        separate()
        let nanoseconds = value.nanoseconds
        if nanoseconds < 0 { bytes.append(UInt8(ascii: "-")) }
        bytes.appendSeconds(nanoseconds: nanoseconds.magnitude)
    }

    mutating func bool(_ value: Bool) {
        separate()
        bytes.append(contentsOf: value ? Self.trueBytes : Self.falseBytes)
    }

    mutating func null() {
        separate()
        bytes.append(contentsOf: Self.nullBytes)
    }

    /// Writes `fragment`, a complete JSON value rendered earlier.
    mutating func raw(_ fragment: [UInt8]) {
        separate()
        bytes.append(contentsOf: fragment)
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)
    private static let nullBytes = Array("null".utf8)
    private static let trueBytes = Array("true".utf8)
    private static let falseBytes = Array("false".utf8)

    private mutating func separate() {
        guard let last = bytes.last else { return }
        if last != UInt8(ascii: "{") && last != UInt8(ascii: "[") && last != UInt8(ascii: ":") {
            bytes.append(UInt8(ascii: ","))
        }
    }
}
