import Foundation
import Testing

@testable import MetricsExporter

#if canImport(Glibc)
    import Glibc
#endif

/// The listening socket's family settings, read from the socket itself rather than by connecting: a connection
/// to 127.0.0.1 on an IPv6-only server's port number may reach another server that bound the same number on IPv4.
@Suite("The listening socket")
struct ListeningSocketTests {
    /// The socket's IPV6_V6ONLY option for `address`: 1 refuses IPv4, 0 accepts it.
    private func v6Only(_ address: MetricsServerConfiguration.BindAddress) throws -> Int32 {
        let (descriptor, _) = try ListeningSocket.open(address, backlog: 8)
        defer { close(descriptor) }
        var value: Int32 = -1
        var length = socklen_t(MemoryLayout<Int32>.size)
        #expect(getsockopt(descriptor, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &value, &length) == 0)
        return value
    }

    @Test("IPv6 refuses IPv4; dual stack accepts both")
    func families() throws {
        #expect(try v6Only(.ipv6("::1", port: 0)) == 1)
        #expect(try v6Only(.dualStack(port: 0)) == 0)
    }
}
