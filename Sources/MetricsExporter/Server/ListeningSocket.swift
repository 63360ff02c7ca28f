#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Creates the listening socket itself (and hands it to libmicrohttpd), so a port in use is a precise, typed
/// error and an ephemeral port can be read back.
enum ListeningSocket {
    /// Opens, binds and listens; returns the descriptor and the bound port.
    static func open(
        _ address: MetricsServerConfiguration.BindAddress,
        backlog: Int
    ) throws(MetricsServerError) -> (descriptor: Int32, port: UInt16) {
        let family = address.family == .ipv4 ? AF_INET : AF_INET6
        #if canImport(Glibc)
            let type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        #else
            let type = SOCK_STREAM | SOCK_CLOEXEC
        #endif
        let descriptor = socket(family, type, 0)
        guard descriptor >= 0 else {
            throw MetricsServerError(.bindFailed, "socket() failed for \(address): \(errorText(errno))")
        }
        var success = false
        defer { if !success { close(descriptor) } }

        var one: Int32 = 1
        setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var bindResult: Int32
        switch address.family {
        case .ipv4:
            guard let host = parseIPv4(address.host) else {
                throw MetricsServerError(.invalidConfiguration, "'\(address.host)' is not an IPv4 address")
            }
            var socketAddress = sockaddr_in()
            socketAddress.sin_family = sa_family_t(AF_INET)
            socketAddress.sin_port = address.port.bigEndian
            socketAddress.sin_addr = host
            bindResult = withUnsafePointer(to: &socketAddress) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        case .ipv6, .dualStack:
            guard let host = parseIPv6(address.host) else {
                throw MetricsServerError(.invalidConfiguration, "'\(address.host)' is not an IPv6 address")
            }
            var v6Only: Int32 = address.family == .ipv6 ? 1 : 0
            guard
                setsockopt(descriptor, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &v6Only, socklen_t(MemoryLayout<Int32>.size))
                    == 0
            else {
                throw MetricsServerError(.bindFailed, "cannot set IPV6_V6ONLY for \(address): \(errorText(errno))")
            }
            var socketAddress = sockaddr_in6()
            socketAddress.sin6_family = sa_family_t(AF_INET6)
            socketAddress.sin6_port = address.port.bigEndian
            socketAddress.sin6_addr = host
            bindResult = withUnsafePointer(to: &socketAddress) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in6>.size))
                }
            }
        }
        guard bindResult == 0 else {
            let code = errno
            if code == EADDRINUSE {
                throw MetricsServerError(.addressInUse, "\(address) is already in use")
            }
            throw MetricsServerError(.bindFailed, "cannot bind \(address): \(errorText(code))")
        }
        guard listen(descriptor, Int32(clamping: backlog)) == 0 else {
            throw MetricsServerError(.bindFailed, "cannot listen on \(address): \(errorText(errno))")
        }
        let flags = fcntl(descriptor, F_GETFL, 0)
        _ = fcntl(descriptor, F_SETFL, flags | O_NONBLOCK)

        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let named = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        guard named == 0 else {
            throw MetricsServerError(.bindFailed, "getsockname() failed for \(address): \(errorText(errno))")
        }
        let boundFamily = Int32(storage.ss_family)
        let port: UInt16 = withUnsafePointer(to: &storage) { pointer in
            if boundFamily == AF_INET {
                return pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) {
                    UInt16(bigEndian: $0.pointee.sin_port)
                }
            }
            return pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) {
                UInt16(bigEndian: $0.pointee.sin6_port)
            }
        }
        success = true
        return (descriptor, port)
    }
}

/// `strerror` text for an errno value.
func errorText(_ code: Int32) -> String {
    guard let message = strerror(code) else { return "errno \(code)" }
    return String(decoding: UnsafeRawBufferPointer(start: message, count: strlen(message)), as: UTF8.self)
}

/// The text of a NUL-terminated C buffer.
func stringFromCBuffer(_ buffer: [CChar]) -> String {
    String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
