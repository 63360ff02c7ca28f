import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A raw TCP client for hostile-client tests.
// Safety (@unchecked Sendable): the descriptor never changes; a test drives one client from one task at a time,
// handing it to a helper thread only while it awaits that thread.
final class RawClient: @unchecked Sendable {
    let descriptor: Int32

    /// Connects to 127.0.0.1:port (or ::1 when `ipv6`), from the loopback address `source` if given (any
    /// 127.0.0.0/8 address, so that one test can be many hosts).
    init(port: UInt16, ipv6: Bool = false, source: String? = nil) throws {
        let family = ipv6 ? AF_INET6 : AF_INET
        let descriptor = socket(family, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw POSIXError(.EMFILE) }
        var result: Int32
        if ipv6 {
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = port.bigEndian
            address.sin6_addr = in6addr_loopback
            result = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in6>.size))
                }
            }
        } else {
            if let source {
                var local = sockaddr_in()
                local.sin_family = sa_family_t(AF_INET)
                guard inet_pton(AF_INET, source, &local.sin_addr) == 1 else {
                    close(descriptor)
                    throw POSIXError(.EINVAL)
                }
                let bound = withUnsafePointer(to: &local) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                    }
                }
                guard bound == 0 else {
                    close(descriptor)
                    throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EADDRNOTAVAIL)
                }
            }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = port.bigEndian
            address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
            result = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
        guard result == 0 else {
            close(descriptor)
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .ECONNREFUSED)
        }
        self.descriptor = descriptor
    }

    deinit {
        close(self.descriptor)
    }

    /// Sends bytes; false if the peer has closed the connection.
    @discardableResult
    func send(_ text: String) -> Bool {
        self.send(Array(text.utf8))
    }

    @discardableResult
    func send(_ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes {
                Glibc.send(self.descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
            }
            if sent <= 0 { return false }
            offset += sent
        }
        return true
    }

    /// Shuts down the sending side: the server reads the end of the stream after the request (a half-close).
    func shutdownWrite() {
        shutdown(self.descriptor, Int32(SHUT_WR))
    }

    /// Whether the server has neither sent anything nor closed the connection, as of now (no waiting).
    var isQuietAndOpen: Bool {
        var descriptor = pollfd(fd: self.descriptor, events: Int16(POLLIN), revents: 0)
        return poll(&descriptor, 1, 0) == 0
    }

    /// Reads until the peer closes the connection or ``hangGuard`` passes; returns what arrived and whether it
    /// closed. `whileWaiting`, if given, runs whenever nothing arrived for 50 ms (a test advances its clock there).
    func readUntilClosed(whileWaiting: (@Sendable () -> Void)? = nil) async -> (bytes: [UInt8], closed: Bool) {
        await offThread { self.read(until: { _ in false }, whileWaiting: whileWaiting) }
    }

    /// Reads until the bytes received hold `count` occurrences of `marker` (e.g. complete responses), the peer
    /// closes, or ``hangGuard`` passes.
    func read(occurrences count: Int, of marker: String) async -> (bytes: [UInt8], closed: Bool) {
        let pattern = Array(marker.utf8)
        return await offThread {
            self.read(until: { bytes in occurrencesOf(pattern, in: bytes) >= count }, whileWaiting: nil)
        }
    }

    private func read(
        until done: ([UInt8]) -> Bool,
        whileWaiting: (@Sendable () -> Void)?
    ) -> (bytes: [UInt8], closed: Bool) {
        var received: [UInt8] = []
        let deadline = ContinuousClock.now + hangGuard
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while ContinuousClock.now < deadline, !done(received) {
            var descriptor = pollfd(fd: self.descriptor, events: Int16(POLLIN), revents: 0)
            let ready = poll(&descriptor, 1, 50)
            if ready <= 0 {
                whileWaiting?()
                continue
            }
            let count = buffer.withUnsafeMutableBytes { recv(self.descriptor, $0.baseAddress, $0.count, 0) }
            if count <= 0 { return (received, true) }
            received.append(contentsOf: buffer[0..<count])
        }
        return (received, false)
    }
}

/// How often `pattern` occurs in `bytes` (non-overlapping).
func occurrencesOf(_ pattern: [UInt8], in bytes: [UInt8]) -> Int {
    guard !pattern.isEmpty, bytes.count >= pattern.count else { return 0 }
    var found = 0
    var index = 0
    while index <= bytes.count - pattern.count {
        if bytes[index..<(index + pattern.count)].elementsEqual(pattern) {
            found += 1
            index += pattern.count
        } else {
            index += 1
        }
    }
    return found
}
