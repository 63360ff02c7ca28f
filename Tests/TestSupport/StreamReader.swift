import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A raw loopback client that keeps reading a streaming response (server-sent events) as it comes, on a thread of
/// its own, bounded by a hang guard.
// Safety (@unchecked Sendable): the descriptor never changes, `received` is behind a lock, and one test drives one
// reader at a time.
public final class StreamReader: @unchecked Sendable {
    private let descriptor: Int32
    private let received = NSLock()
    private var bytes: [UInt8] = []

    /// Connects to 127.0.0.1:`port`.
    public init(port: UInt16) throws {
        self.descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(self.descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 else {
            close(self.descriptor)
            throw LoopbackFailure(description: "connect to port \(port): errno \(errno)")
        }
    }

    deinit { close(self.descriptor) }

    /// Sends text.
    public func send(_ text: String) {
        _ = Array(text.utf8).withUnsafeBytes { Glibc.send(self.descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    /// What arrived so far, as text (header names as the server wrote them, lower-cased for comparison).
    public var text: String {
        self.received.lock()
        defer { self.received.unlock() }
        return String(decoding: self.bytes, as: UTF8.self).lowercasedHeaders()
    }

    /// Reads until what arrived holds `marker`, or the peer closes; false after 30 s (a bound on a hang).
    public func read(until marker: String) async -> Bool {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread { continuation.resume(returning: self.readBlocking(until: marker)) }
        }
    }

    private func readBlocking(until marker: String) -> Bool {
        let deadline = ContinuousClock.now + .seconds(30)
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while ContinuousClock.now < deadline {
            if self.text.contains(marker) { return true }
            var poller = pollfd(fd: self.descriptor, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 50) > 0 else { continue }
            let count = buffer.withUnsafeMutableBytes { recv(self.descriptor, $0.baseAddress, $0.count, 0) }
            if count <= 0 { return self.text.contains(marker) }
            self.received.lock()
            self.bytes.append(contentsOf: buffer[0..<count])
            self.received.unlock()
        }
        return false
    }
}

extension String {
    /// The text with the header section's names lower-cased (up to the first empty line), so tests compare header
    /// lines whatever case the server writes.
    fileprivate func lowercasedHeaders() -> String {
        guard let end = self.range(of: "\r\n\r\n") else { return self.lowercased() }
        return self[..<end.lowerBound].lowercased() + self[end.lowerBound...]
    }
}
