#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Whether a basic-auth user name is usable: not empty, no `:` (which ends the name in the header), no control
/// characters.
package func isValidUserName(_ user: String) -> Bool {
    !user.isEmpty && !user.contains(":") && user.utf8.allSatisfy { $0 >= 0x20 && $0 != 0x7F }
}

/// Whether `hash` looks like a bcrypt hash: `$2a$`, `$2b$` or `$2y$`, a two-digit cost 04–31, 53 more characters.
package func isBcryptHash(_ hash: String) -> Bool {
    let bytes = Array(hash.utf8)
    guard bytes.count == 60, bytes[0] == 0x24, bytes[1] == 0x32, [0x61, 0x62, 0x79].contains(bytes[2]),
        bytes[3] == 0x24, bytes[6] == 0x24
    else { return false }
    guard (0x30...0x39).contains(bytes[4]), (0x30...0x39).contains(bytes[5]) else { return false }
    let cost = Int(bytes[4] - 0x30) * 10 + Int(bytes[5] - 0x30)
    guard (4...31).contains(cost) else { return false }
    return bytes[7...].allSatisfy { byte in
        byte == 0x2E || byte == 0x2F || (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte)
            || (0x61...0x7A).contains(byte)
    }
}

/// Reads a whole file as UTF-8 text, or `nil` if it cannot be read. At most 16 MiB.
package func readTextFile(_ path: String) -> String? {
    guard let file = fopen(path, "rb") else { return nil }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 16_384)
    while true {
        let count = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
        if count > 0 { bytes.append(contentsOf: chunk[0..<count]) }
        if count < chunk.count { break }
        if bytes.count > 16 << 20 { return nil }
    }
    guard ferror(file) == 0 else { return nil }
    return String(validating: bytes, as: UTF8.self)
}
