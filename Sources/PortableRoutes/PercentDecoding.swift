/// Decodes percent-encoding (`%2F` → `/`) strictly: a `%` must be followed by two hex digits, and the result must
/// be valid UTF-8; otherwise `nil` (the server answers 400). With `plusAsSpace`, `+` reads as a space (query
/// strings). Any other byte stands for itself, so a name may hold any character.
package func percentDecoded(_ bytes: some Collection<UInt8>, plusAsSpace: Bool = false) -> String? {
    var output: [UInt8] = []
    output.reserveCapacity(bytes.count)
    var iterator = bytes.makeIterator()
    while let byte = iterator.next() {
        switch byte {
        case UInt8(ascii: "%"):
            guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else {
                return nil
            }
            output.append(high << 4 | low)
        case UInt8(ascii: "+") where plusAsSpace:
            output.append(UInt8(ascii: " "))
        default:
            output.append(byte)
        }
    }
    return String(validating: output, as: UTF8.self)
}

private func hexValue(_ byte: UInt8) -> UInt8? {
    switch byte {
    case 0x30...0x39: byte - 0x30
    case 0x41...0x46: byte - 0x41 + 10
    case 0x61...0x66: byte - 0x61 + 10
    default: nil
    }
}
