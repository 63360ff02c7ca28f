import Foundation
import Logging
import MetricsExporter
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A logger that discards everything, so test output stays readable.
let quietLogger = Logger(label: "metrics-exporter-tests", factory: { _ in SwiftLogNoOpLogHandler() })

/// A small exposition, like a registry would emit.
let sampleExposition: ExpositionSource = { buffer in
    buffer.append(contentsOf: "# HELP demo_requests_total Requests.\n# TYPE demo_requests_total counter\n".utf8)
    buffer.append(contentsOf: "demo_requests_total{route=\"a\"} 42\n".utf8)
}

/// A loopback configuration on an ephemeral port with tight limits for tests.
func testConfiguration(
    _ address: MetricsServerConfiguration.BindAddress = .loopback(port: 0)
) -> MetricsServerConfiguration {
    var configuration = MetricsServerConfiguration(bindAddress: address)
    configuration.serviceName = "test service"
    configuration.serviceVersion = "1.2.3"
    configuration.shutdownGracePeriod = .seconds(2)
    return configuration
}

/// Starts a server, runs `body` with it and its base URL, and always stops it.
func withServer<T>(
    _ configuration: MetricsServerConfiguration = testConfiguration(),
    source: @escaping ExpositionSource = sampleExposition,
    status: StatusProvider? = nil,
    _ body: (MetricsServer, String) async throws -> T
) async throws -> T {
    let server = MetricsServer(configuration: configuration, logger: quietLogger, source: source, status: status)
    try server.start()
    let address = try #require(server.boundAddress)
    let scheme = configuration.tls == nil ? "http" : "https"
    let base = "\(scheme)://\(address)"
    do {
        let result = try await body(server, base)
        await server.stop()
        return result
    } catch {
        await server.stop()
        throw error
    }
}

import Testing

/// The result of a subprocess.
struct ProcessResult {
    var status: Int32
    var stdout: Data
    var stderr: String
    var text: String { String(decoding: self.stdout, as: UTF8.self) }
}

/// A temporary directory removed by `cleanup()`.
struct TemporaryDirectory {
    let path: String

    init() throws {
        var template = Array((NSTemporaryDirectory() + "metrics-exporter-XXXXXX").utf8CString)
        guard let result = mkdtemp(&template) else { throw POSIXError(.EIO) }
        self.path = String(cString: result)
    }

    func file(_ name: String) -> String { self.path + "/" + name }

    func write(_ name: String, _ text: String) throws {
        try text.write(toFile: self.file(name), atomically: true, encoding: .utf8)
    }

    func cleanup() {
        try? FileManager.default.removeItem(atPath: self.path)
    }
}

/// Runs a program without blocking a Swift concurrency thread; output goes through temporary files so a large
/// output cannot fill a pipe. Killed after `timeout`.
func runProcess(_ executable: String, _ arguments: [String], timeout: Duration = .seconds(20)) async throws
    -> ProcessResult
{
    let directory = try TemporaryDirectory()
    defer { directory.cleanup() }
    _ = FileManager.default.createFile(atPath: directory.file("out"), contents: nil)
    _ = FileManager.default.createFile(atPath: directory.file("err"), contents: nil)
    let out = try FileHandle(forWritingTo: URL(fileURLWithPath: directory.file("out")))
    let err = try FileHandle(forWritingTo: URL(fileURLWithPath: directory.file("err")))
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.standardOutput = out
    process.standardError = err
    process.standardInput = FileHandle.nullDevice
    let status: Int32 = try await withCheckedThrowingContinuation { continuation in
        process.terminationHandler = { process in continuation.resume(returning: process.terminationStatus) }
        do {
            try process.run()
        } catch {
            process.terminationHandler = nil
            continuation.resume(throwing: error)
            return
        }
        let pid = process.processIdentifier
        let seconds = Double(timeout.components.seconds)
        DispatchQueue.global().asyncAfter(deadline: .now() + seconds) {
            if process.isRunning { kill(pid, SIGKILL) }
        }
    }
    try out.close()
    try err.close()
    let stdout = try Data(contentsOf: URL(fileURLWithPath: directory.file("out")))
    let stderr = (try? String(contentsOfFile: directory.file("err"), encoding: .utf8)) ?? ""
    return ProcessResult(status: status, stdout: stdout, stderr: stderr)
}

/// Runs `curl` with a time limit; `-s` (silent) is always added.
func curl(_ arguments: [String]) async throws -> ProcessResult {
    try await runProcess("/usr/bin/curl", ["-s", "--max-time", "10"] + arguments)
}

/// A response as curl saw it: status, headers (lower-cased names) and body.
struct CurlResponse {
    var status: Int
    var headers: [String: String]
    var body: Data
    var text: String { String(decoding: self.body, as: UTF8.self) }
}

/// Performs one request with curl and parses the response head it dumps.
func curlRequest(_ url: String, _ extra: [String] = []) async throws -> CurlResponse {
    let directory = try TemporaryDirectory()
    defer { directory.cleanup() }
    let result = try await curl(["-D", directory.file("head"), "-o", directory.file("body")] + extra + [url])
    guard result.status == 0 else {
        throw CurlFailure(status: result.status, stderr: result.stderr)
    }
    let head = try String(contentsOfFile: directory.file("head"), encoding: .utf8)
    let body = (try? Data(contentsOf: URL(fileURLWithPath: directory.file("body")))) ?? Data()
    return parseHead(head, body: body)
}

struct CurlFailure: Error {
    var status: Int32
    var stderr: String
}

func parseHead(_ head: String, body: Data) -> CurlResponse {
    var lines = head.components(separatedBy: "\r\n").filter { !$0.isEmpty }
    // curl dumps every response head (e.g. after 100 Continue); keep the last one.
    if let lastStatus = lines.lastIndex(where: { $0.hasPrefix("HTTP/") }) { lines = Array(lines[lastStatus...]) }
    let status = lines.first.flatMap { Int($0.split(separator: " ").dropFirst().first ?? "") } ?? 0
    var headers: [String: String] = [:]
    for line in lines.dropFirst() {
        guard let colon = line.firstIndex(of: ":") else { continue }
        headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
    }
    return CurlResponse(status: status, headers: headers, body: body)
}

/// Runs blocking work on a thread of its own and awaits it, so that tests waiting on sockets do not hold the few
/// threads of the cooperative pool that concurrently running tests (and their timers) need.
func offThread<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        Thread.detachNewThread { continuation.resume(returning: body()) }
    }
}

/// A raw TCP client for hostile-client tests.
// Safety (@unchecked Sendable): the descriptor never changes; a test drives one client from one task at a time,
// handing it to a helper thread only while it awaits that thread.
final class RawClient: @unchecked Sendable {
    let descriptor: Int32

    /// Connects to 127.0.0.1:port (or ::1 when `ipv6`).
    init(port: UInt16, ipv6: Bool = false) throws {
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

    /// Reads until the peer closes the connection or `timeout` passes; returns what arrived, whether it closed,
    /// and when, measured on the reading thread (so a busy cooperative pool does not inflate it).
    func readUntilClosed(timeout: Duration) async -> (bytes: [UInt8], closed: Bool, elapsed: Duration) {
        await offThread {
            let start = ContinuousClock.now
            let (bytes, closed) = self.readUntilClosedBlocking(timeout: timeout)
            return (bytes, closed, ContinuousClock.now - start)
        }
    }

    /// Sends one byte every `interval` until the peer closes the connection or `limit` passes; returns whether it
    /// closed and after how long, measured on the sending thread.
    func trickle(every interval: Duration, for limit: Duration) async -> (closed: Bool, elapsed: Duration) {
        await offThread {
            let start = ContinuousClock.now
            while ContinuousClock.now - start < limit {
                if self.isClosedByPeerBlocking(waiting: interval) || !self.send("X") {
                    return (true, ContinuousClock.now - start)
                }
            }
            return (false, ContinuousClock.now - start)
        }
    }

    private func readUntilClosedBlocking(timeout: Duration) -> (bytes: [UInt8], closed: Bool) {
        var received: [UInt8] = []
        let deadline = ContinuousClock.now + timeout
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while ContinuousClock.now < deadline {
            let remaining = deadline - ContinuousClock.now
            var descriptor = pollfd(fd: self.descriptor, events: Int16(POLLIN), revents: 0)
            let milliseconds = Int32(
                max(1, remaining.components.seconds * 1000 + remaining.components.attoseconds / 1_000_000_000_000_000)
            )
            let ready = poll(&descriptor, 1, milliseconds)
            if ready <= 0 { continue }
            let count = buffer.withUnsafeMutableBytes { recv(self.descriptor, $0.baseAddress, $0.count, 0) }
            if count <= 0 { return (received, true) }
            received.append(contentsOf: buffer[0..<count])
        }
        return (received, false)
    }

    /// Whether the peer has closed the connection (polls without waiting long).
    func isClosedByPeer(waiting timeout: Duration = .milliseconds(50)) async -> Bool {
        await offThread { self.isClosedByPeerBlocking(waiting: timeout) }
    }

    private func isClosedByPeerBlocking(waiting timeout: Duration) -> Bool {
        var descriptor = pollfd(fd: self.descriptor, events: Int16(POLLIN), revents: 0)
        let milliseconds = Int32(
            timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000
        )
        guard poll(&descriptor, 1, milliseconds) > 0 else { return false }
        var byte: UInt8 = 0
        return recv(self.descriptor, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT)) == 0
            || descriptor.revents & Int16(POLLHUP | POLLERR) != 0
    }
}

/// Whether the text is a plausible Prometheus text exposition: every line is a comment (`# HELP`/`# TYPE`) or
/// `name{labels} value`, and it ends with a newline.
func isValidExposition(_ text: String) -> Bool {
    guard text.hasSuffix("\n") else { return false }
    let sample = try! Regex(
        #"^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*",?)*\})? [-+0-9.eE]+|[-+]?Inf|NaN$"#
    )
    for line in text.split(separator: "\n") {
        if line.hasPrefix("# HELP ") || line.hasPrefix("# TYPE ") { continue }
        guard (try? sample.wholeMatch(in: String(line))) != nil else { return false }
    }
    return true
}

/// The port of a bound address.
func port(of server: MetricsServer) throws -> UInt16 {
    try #require(server.boundAddress?.port)
}
