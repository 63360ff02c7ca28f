import MetricsEndpoint
import PortableRoutes

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

extension MetricsServerConfiguration {
    /// Checks every setting; throws ``/MetricsEndpoint/MetricsServerError/Code/invalidConfiguration`` naming the first
    /// bad one.
    public func validate() throws(MetricsServerError) {
        func invalid(_ message: String, line: Int = #line) -> MetricsServerError {
            MetricsServerError(.invalidConfiguration, message, line: line)
        }
        switch self.bindAddress.family {
        case .ipv4:
            guard parseIPv4(self.bindAddress.host) != nil else {
                throw invalid("bindAddress: '\(self.bindAddress.host)' is not a numeric IPv4 address")
            }
        case .ipv6, .dualStack:
            guard parseIPv6(self.bindAddress.host) != nil else {
                throw invalid("bindAddress: '\(self.bindAddress.host)' is not a numeric IPv6 address")
            }
        }
        guard (1...64).contains(self.workerThreads) else {
            throw invalid("workerThreads must be 1...64, not \(self.workerThreads)")
        }
        let limits = self.limits
        guard (self.workerThreads...65_536).contains(limits.connectionLimit) else {
            throw invalid("limits.connectionLimit must be \(self.workerThreads)...65536, not \(limits.connectionLimit)")
        }
        if let perIP = limits.perIPConnectionLimit, perIP < 1 {
            throw invalid("limits.perIPConnectionLimit must be at least 1 (or nil), not \(perIP)")
        }
        guard limits.connectionTimeout >= .seconds(1), limits.connectionTimeout <= .seconds(86_400) else {
            throw invalid("limits.connectionTimeout must be 1 s...1 day, not \(limits.connectionTimeout)")
        }
        guard limits.requestTimeout >= .milliseconds(100), limits.requestTimeout <= .seconds(3_600) else {
            throw invalid("limits.requestTimeout must be 100 ms...1 h, not \(limits.requestTimeout)")
        }
        guard (4_096...(16 << 20)).contains(limits.connectionMemoryLimit) else {
            throw invalid("limits.connectionMemoryLimit must be 4 KiB...16 MiB, not \(limits.connectionMemoryLimit)")
        }
        guard (1...65_535).contains(limits.listenBacklog) else {
            throw invalid("limits.listenBacklog must be 1...65535, not \(limits.listenBacklog)")
        }
        if let streams = limits.streamsPerAddress, streams < 1 {
            throw invalid("limits.streamsPerAddress must be at least 1 (or nil), not \(streams)")
        }
        if let level = self.gzipLevel, !(1...9).contains(level) {
            throw invalid("gzipLevel must be 1...9 (or nil), not \(level)")
        }
        guard self.shutdownGracePeriod >= .zero, self.shutdownGracePeriod <= .seconds(3_600) else {
            throw invalid("shutdownGracePeriod must be 0...1 h, not \(self.shutdownGracePeriod)")
        }
        guard (try? PathPattern(self.metricsPath))?.parameterNames.isEmpty == true,
            !StandardPaths.all.contains(self.metricsPath)
        else {
            throw invalid("metricsPath '\(self.metricsPath)' must be a literal absolute path other than / and health")
        }
        if let tls = self.tls {
            guard tls.certificatePEM.contains("-----BEGIN "), tls.privateKeyPEM.contains("-----BEGIN ") else {
                throw invalid("tls: the certificate and the key must be PEM text")
            }
        }
        try self.basicAuth?.validate()
    }
}

/// Parses a numeric IPv4 address.
func parseIPv4(_ host: String) -> in_addr? {
    var address = in_addr()
    return inet_pton(AF_INET, host, &address) == 1 ? address : nil
}

/// Parses a numeric IPv6 address.
func parseIPv6(_ host: String) -> in6_addr? {
    var address = in6_addr()
    return inet_pton(AF_INET6, host, &address) == 1 ? address : nil
}

