extension MetricsServerConfiguration {
    /// The address and port the server listens on.
    public struct BindAddress: Sendable, Hashable, CustomStringConvertible {
        enum Family: Sendable, Hashable {
            case ipv4
            case ipv6
            case dualStack
        }

        let family: Family
        /// The numeric host address (`"127.0.0.1"`, `"::1"`); `"::"` for dual stack.
        public let host: String
        /// The TCP port; 0 asks the kernel for a free (ephemeral) port, reported by ``MetricsServer/boundAddress``.
        public var port: UInt16

        /// Listens on one IPv4 address (`"0.0.0.0"`, all interfaces, by default). Host names are not resolved.
        public static func ipv4(_ host: String = "0.0.0.0", port: UInt16) -> Self {
            Self(family: .ipv4, host: host, port: port)
        }

        /// Listens on one IPv6 address only (`"::"`, all interfaces, by default). Host names are not resolved.
        public static func ipv6(_ host: String = "::", port: UInt16) -> Self {
            Self(family: .ipv6, host: host, port: port)
        }

        /// Listens on all interfaces for IPv4 and IPv6 on one socket.
        public static func dualStack(port: UInt16) -> Self {
            Self(family: .dualStack, host: "::", port: port)
        }

        /// Listens on 127.0.0.1 only.
        public static func loopback(port: UInt16) -> Self {
            .ipv4("127.0.0.1", port: port)
        }

        /// `host:port`, with IPv6 hosts in brackets.
        public var description: String {
            self.family == .ipv4 ? "\(self.host):\(self.port)" : "[\(self.host)]:\(self.port)"
        }
    }
}
