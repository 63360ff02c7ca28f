/// Strict standard Base64 (RFC 4648 section 4) decoding, as HTTP basic authentication uses it.
enum Base64 {
    private static let values: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (index, byte) in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8.enumerated() {
            table[Int(byte)] = UInt8(index)
        }
        return table
    }()

    /// Decodes padded Base64; returns `nil` for a wrong length, a character outside the alphabet, misplaced
    /// padding or non-zero trailing bits.
    static func decode(_ input: some Collection<UInt8>) -> [UInt8]? {
        let text = Array(input)
        guard text.count % 4 == 0 else { return nil }
        var output: [UInt8] = []
        output.reserveCapacity(text.count / 4 * 3)
        var index = 0
        while index < text.count {
            let isLast = index + 4 == text.count
            let quad = text[index..<(index + 4)]
            var padding = 0
            var accumulator: UInt32 = 0
            for (offset, byte) in quad.enumerated() {
                if byte == 0x3D {  // '='
                    guard isLast, offset >= 2 else { return nil }
                    padding += 1
                    accumulator <<= 6
                    continue
                }
                guard padding == 0 else { return nil }  // data after padding
                let value = Self.values[Int(byte)]
                guard value != 0xFF else { return nil }
                accumulator = accumulator << 6 | UInt32(value)
            }
            if padding == 1, accumulator & 0xFF != 0 { return nil }
            if padding == 2, accumulator & 0xFFFF != 0 { return nil }
            output.append(UInt8(accumulator >> 16))
            if padding < 2 { output.append(UInt8((accumulator >> 8) & 0xFF)) }
            if padding < 1 { output.append(UInt8(accumulator & 0xFF)) }
            index += 4
        }
        return output
    }
}
