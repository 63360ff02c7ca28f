import FoundationEssentials

/// The user name and password of an `Authorization: Basic …` header.
package struct BasicCredentials {
    package let user: String
    package let password: [UInt8]

    /// Parses `Basic <base64(user:password)>` (scheme case-insensitive, spaces around the token allowed); `nil`
    /// when malformed, when the token is not Base64, or when the user name is not UTF-8. The password may hold any
    /// bytes, colons included (the first colon ends the user name).
    package init?(header bytes: some Collection<UInt8>) {
        let scheme = Array("basic".utf8)
        let header = Array(bytes)
        guard header.count > scheme.count,
            zip(header, scheme).allSatisfy({ ((0x41...0x5A).contains($0) ? $0 | 0x20 : $0) == $1 }),
            header[scheme.count] == UInt8(ascii: " ")
        else { return nil }
        var token = header[(scheme.count + 1)...].drop { $0 == UInt8(ascii: " ") }
        while let last = token.last, last == UInt8(ascii: " ") || last == UInt8(ascii: "\t") {
            token = token.dropLast()
        }
        // Foundation's decoder: padding required, no characters outside the alphabet, no spaces.
        guard let decoded = Data(base64Encoded: Data(token)).map({ Array($0) }),
            let colon = decoded.firstIndex(of: UInt8(ascii: ":")),
            let user = String(validating: decoded[..<colon], as: UTF8.self)
        else { return nil }
        self.user = user
        self.password = Array(decoded[(colon + 1)...])
    }
}
