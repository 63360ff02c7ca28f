import Testing

import CircuitBreakerInternals

@Suite struct NumberFormattingTests {
    private func text(_ append: (inout [UInt8]) -> Void) -> String {
        var buffer: [UInt8] = []
        append(&buffer)
        return String(decoding: buffer, as: UTF8.self)
    }

    @Test(arguments: [0, 1, 9, 10, 1234567890, Int64.max])
    func appendsDecimals(value: Int64) {
        var buffer: [UInt8] = Array("x=".utf8)
        buffer.appendDecimal(value)
        #expect(String(decoding: buffer, as: UTF8.self) == "x=\(value)")
    }

    @Test func writesTheLargestIntegers() {
        var buffer = [UInt8](repeating: 0, count: NumberFormatting.maximumLength)
        let length = buffer.withUnsafeMutableBufferPointer { NumberFormatting.write(UInt64.max, to: $0.baseAddress!) }
        #expect(String(decoding: buffer[..<length], as: UTF8.self) == "\(UInt64.max)")
    }

    @Test(arguments: [
        (0.0, "0"), (1.0, "1"), (0.5, "0.5"), (0.25, "0.25"), (0.1, "0.1"), (0.95, "0.95"), (0.001, "0.001"),
        (1_700_000_000, "1700000000"), (1_700_000_003.25, "1700000003.25"), (-2.5, "-2.5"), (100, "100"),
        (Double.nan, "NaN"), (Double.infinity, "+Inf"), (-Double.infinity, "-Inf"),
    ])
    func writesCommonDoublesShortly(value: Double, expected: String) {
        #expect(text { $0.appendDouble(value) } == expected)
    }

    @Test func everyDoubleRoundTrips() {
        var values: [Double] = [
            1.0 / 3.0, 2.0 / 3.0, 0.1 + 0.2, 1e-300, .leastNonzeroMagnitude, 1e300, .greatestFiniteMagnitude, -.greatestFiniteMagnitude,
            0x1p53 + 2, 1_712_345_678.123_456_7, 727_893_768_817_618.25, 0.5 + 0x1p-30,
            0.999_999_999_999_999_9, -0.0,
        ]
        for numerator in 0...60 {
            for denominator in 1...60 { values.append(Double(numerator) / Double(denominator)) }
        }
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2_000 {
            values.append(Double(bitPattern: generator.next() & 0x7FEF_FFFF_FFFF_FFFF))
            values.append(Double.random(in: 1_600_000_000...1_800_000_000, using: &generator))
            values.append(Double.random(in: 0...1, using: &generator))
            values.append(Double.random(in: -1e6...1e6, using: &generator))
        }
        for value in values {
            let written = text { $0.appendDouble(value) }
            #expect(written.utf8.count <= NumberFormatting.maximumLength)
            #expect(Double(written) == value, "\(value) written as \(written)")
            // From 2⁻⁷ to 2⁵³ the digits are the shortest and closest, as `description` picks them.
            if value.magnitude >= 1.0 / 128, value.magnitude < 9_007_199_254_740_992, value != value.rounded() {
                #expect(written == value.description, "\(value) written as \(written)")
            }
        }
    }

    @Test(arguments: [
        (UInt64(0), "0"), (1, "0.000000001"), (65_000_000, "0.065"), (2_000_000_000, "2"), (1_500_000_000, "1.5"),
        (UInt64.max, "18446744073.709551615"),
    ])
    func writesNanosecondsAsExactSeconds(nanoseconds: UInt64, expected: String) {
        #expect(text { $0.appendSeconds(nanoseconds: nanoseconds) } == expected)
    }

    /// The time-in-state shortcut writes the same bytes as the `Double` it stands for, across its range, at both
    /// ends of it and outside it: every power of two of nanoseconds with its neighbours, the bounds, and a million
    /// values from a fixed-seed generator spread over every magnitude.
    @Test func secondsOfNanosecondsMatchTheirDouble() {
        func pair(_ nanoseconds: Int64) -> (String, String) {
            var fast = [UInt8](repeating: 0, count: NumberFormatting.maximumLength)
            var slow = fast
            let fastLength = fast.withUnsafeMutableBufferPointer {
                NumberFormatting.write(secondsOfNanoseconds: nanoseconds, to: $0.baseAddress!)
            }
            let slowLength = slow.withUnsafeMutableBufferPointer {
                NumberFormatting.write(Double(nanoseconds) / 1e9, to: $0.baseAddress!)
            }
            return (
                String(decoding: fast[..<fastLength], as: UTF8.self),
                String(decoding: slow[..<slowLength], as: UTF8.self)
            )
        }
        var values: [Int64] = [
            0, 1, 999, 7_812_499, 7_812_500, 7_812_501, 1_000_000_000, 1_000_000_001, 2_999_999_999,
            4_194_303_999_999_999, 4_194_304_000_000_000, 4_194_304_000_000_001, Int64.max,
        ]
        for shift in 0..<63 {
            let power = Int64(1) << shift
            values += [power - 1, power, power + 1]
        }
        var state: UInt64 = 23
        for _ in 0..<1_000_000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            // A random magnitude (up to 2⁶²), then random digits below it.
            let magnitude = Int64(1) << Int64((state >> 58) % 62 + 1)
            values.append(Int64(bitPattern: (state >> 1) & 0x3FFF_FFFF_FFFF_FFFF) % magnitude)
        }
        var mismatches: [String] = []
        for value in values {
            let (fast, slow) = pair(value)
            if fast != slow { mismatches.append("\(value): \(fast) != \(slow)") }
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(5))")
    }

    @Test func theWriterDropsWhatDoesNotFit() {
        var buffer: [UInt8] = Array("keep".utf8)
        let overflowed = buffer.appendRendered(bound: 5) { writer in
            writer.write(Array("abc".utf8))
            writer.write(Array("def".utf8))  // does not fit: dropped
            writer.writeLineFeed()
        }
        #expect(overflowed)
        #expect(String(decoding: buffer, as: UTF8.self) == "keepabc\n")
    }
}
