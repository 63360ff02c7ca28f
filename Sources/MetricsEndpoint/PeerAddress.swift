/// A peer's IP address: 16 bytes, IPv4 as an IPv4-mapped IPv6 address, so that one host has one key (of the
/// failed-login limits and the authentication pool's turns).
package struct PeerAddress: Hashable, Sendable {
    package let high: UInt64
    package let low: UInt64

    package init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// The address from its 16 bytes (IPv6 order); IPv4 given as 4 bytes is mapped.
    package init(bytes: [UInt8]) {
        var full = bytes
        if bytes.count == 4 { full = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF] + bytes }
        guard full.count == 16 else {
            self.init(high: 0, low: 0)
            return
        }
        let high = full[0..<8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        let low = full[8..<16].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        self.init(high: high, low: low)
    }
}
