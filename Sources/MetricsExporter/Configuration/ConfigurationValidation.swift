#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

extension MetricsServerConfiguration {
    /// Checks every setting; throws ``MetricsServerError/Code/invalidConfiguration`` naming the first bad one.
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
        if let auth = self.basicAuth {
            guard !auth.users.isEmpty || !auth.adminUsers.isEmpty else {
                throw invalid("basicAuth has no users and no admin users")
            }
            if let both = auth.users.keys.sorted().first(where: { auth.adminUsers[$0] != nil }) {
                throw invalid("basicAuth: '\(both)' is both a scrape and an admin user (admins may scrape anyway)")
            }
            let everyone = auth.users.map { ($0, $1) } + auth.adminUsers.map { ($0, $1) }
            for (user, hash) in everyone.sorted(by: { $0.0 < $1.0 }) {
                guard isValidUserName(user) else {
                    throw invalid("basicAuth: user name '\(user)' is empty or holds ':' or control characters")
                }
                guard isBcryptHash(hash) else {
                    throw invalid("basicAuth: the hash of user '\(user)' is not a bcrypt hash ($2a$, $2b$ or $2y$)")
                }
                if let cost = bcryptCost(hash), cost > Authenticator.maximumCost {
                    throw invalid(
                        "basicAuth: the hash of user '\(user)' has bcrypt cost \(cost); "
                            + "at most \(Authenticator.maximumCost) is accepted"
                    )
                }
            }
            guard auth.realm.utf8.allSatisfy({ $0 >= 0x20 && $0 != 0x7F && $0 != 0x22 && $0 != 0x5C }) else {
                throw invalid("basicAuth.realm must not hold quotes, backslashes or control characters")
            }
        }
    }
}

/// Whether a basic-auth user name is usable: not empty, no `:` (which ends the name in the header), no control
/// characters.
func isValidUserName(_ user: String) -> Bool {
    !user.isEmpty && !user.contains(":") && user.utf8.allSatisfy { $0 >= 0x20 && $0 != 0x7F }
}

/// Whether `hash` looks like a bcrypt hash: `$2a$`, `$2b$` or `$2y$`, a two-digit cost 04–31, 53 more characters.
func isBcryptHash(_ hash: String) -> Bool {
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

/// Reads a whole file as UTF-8 text, or `nil` if it cannot be read. At most 16 MiB.
func readTextFile(_ path: String) -> String? {
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
