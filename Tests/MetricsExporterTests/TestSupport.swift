import CircuitBreakerInternals
import Foundation
import Logging
import TestSupport
import MetricsExporter
import PortableRoutes
import PortableRoutes
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

/// How long a test waits for an event before it gives up: a bound on a hang, never a speed requirement. Every
/// event the tests wait for normally takes milliseconds; this survives a slowdown of far more than ten times.
let hangGuard: Duration = .seconds(30)

/// A server clock that moves only when a test advances it.
final class ManualServerClock: ServerClock {
    private let now = Atomic<UInt64>(1_000_000_000_000)

    func nanoseconds() -> UInt64 {
        self.now.load(ordering: .acquiring)
    }

    func advance(by duration: Duration) {
        self.now.wrappingAdd(duration.clampedNanoseconds, ordering: .releasing)
    }
}

/// Waits until `condition` holds, polling; false if it still does not hold after ``hangGuard``.
func eventually(_ condition: () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + hangGuard
    while !condition() {
        if ContinuousClock.now >= deadline { return false }
        try? await Task.sleep(for: .milliseconds(2))
    }
    return true
}

/// A barrier a source can wait at, so a test decides when a render finishes instead of guessing how long it takes.
final class Gate: Sendable {
    private let isOpen = Locked(false)

    func open() {
        self.isOpen.updateAndBroadcast { $0 = true }
    }

    /// Blocks until the gate opens; gives up after ``hangGuard`` so a failing test cannot wedge a thread forever.
    func wait() {
        let deadline = MonotonicTime.nanoseconds() &+ hangGuard.clampedNanoseconds
        _ = self.isOpen.wait(until: { $0 }, deadlineMonotonicNanoseconds: deadline)
    }
}

/// A started server on a ``ManualServerClock``, for tests that stop it themselves.
func startedServer(_ configuration: MetricsServerConfiguration, source: @escaping ExpositionSource) throws
    -> MetricsServer
{
    let server = MetricsServer(
        configuration: configuration,
        logger: quietLogger,
        clock: ManualServerClock(),
        source: source
    )
    try server.start()
    return server
}

/// Starts a server, runs `body` with it and its base URL, and always stops it.
///
/// The server's clock is a ``ManualServerClock`` unless the test passes one: it never moves by itself, so no
/// deadline fires while a slow machine runs the test; tests of the deadlines advance it.
func withServer<T>(
    _ configuration: MetricsServerConfiguration = testConfiguration(),
    clock: any ServerClock = ManualServerClock(),
    source: @escaping ExpositionSource = sampleExposition,
    exposition: ExpositionSources? = nil,
    routes: [PortableRoute] = [],
    status: StatusProvider? = nil,
    _ body: (MetricsServer, String) async throws -> T
) async throws -> T {
    let server = MetricsServer(
        configuration: configuration,
        logger: quietLogger,
        clock: clock,
        exposition: exposition ?? ExpositionSources(text: source),
        routes: routes,
        status: status
    )
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

/// Reads a whole file with POSIX calls. Not Foundation's `Data(contentsOf:)`: in Swift 6.3.1 on Linux it leaks a
/// 4 KiB buffer for every empty file it reads (LeakSanitizer reports them under `readBytesFromFile`), and the
/// sanitizer run of these tests must be clean.
func readFileBytes(_ path: String) throws -> [UInt8] {
    let descriptor = open(path, O_RDONLY | O_CLOEXEC)
    guard descriptor >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
    defer { close(descriptor) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65_536)
    while true {
        let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        if count < 0 {
            if errno == EINTR { continue }
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
        }
        if count == 0 { return bytes }
        bytes.append(contentsOf: chunk[0..<count])
    }
}

/// Runs a program without blocking a Swift concurrency thread (``Subprocess``: posix_spawn, output through
/// temporary files so a large output cannot fill a pipe). Killed after `timeout`.
func runProcess(_ executable: String, _ arguments: [String], timeout: Duration = hangGuard * 2) async throws
    -> ProcessResult
{
    let result = try await Subprocess.run(executable, arguments, timeout: timeout)
    return ProcessResult(
        status: result.status,
        stdout: Data(result.output),
        stderr: String(decoding: result.error, as: UTF8.self)
    )
}

/// Runs the real `curl` (found on `PATH`) with a time limit (the hang guard); `-s` (silent) is always added. Only
/// for tests about what only curl does here (TLS, gzip decoding): they declare `.requires(.curl)`.
func curl(_ arguments: [String]) async throws -> ProcessResult {
    let seconds = String(hangGuard.components.seconds)
    let path = try #require(ExternalTool.curl.path, "curl is not on PATH")
    return try await runProcess(path, ["-s", "--max-time", seconds] + arguments, timeout: hangGuard * 2)
}

/// One request to a test server by the in-process loopback client, with curl's spelling of the options (`-X`,
/// `-H`, `-u`, `--data-binary`, `-I`): see ``LoopbackHTTPClient``.
func httpRequest(_ url: String, _ options: [String] = []) async throws -> LoopbackResponse {
    try await LoopbackHTTPClient.request(url, options, timeout: hangGuard)
}

/// One request with the real curl, parsed like ``httpRequest(_:_:)`` (TLS tests; `.requires(.curl)`).
func curlRequest(_ url: String, _ extra: [String] = []) async throws -> LoopbackResponse {
    let directory = try TemporaryDirectory()
    defer { directory.cleanup() }
    let result = try await curl(["-D", directory.file("head"), "-o", directory.file("body")] + extra + [url])
    guard result.status == 0 else {
        throw CurlFailure(status: result.status, stderr: result.stderr)
    }
    let head = String(decoding: try readFileBytes(directory.file("head")), as: UTF8.self)
    let body = Data((try? readFileBytes(directory.file("body"))) ?? [])
    return parseHead(head, body: body)
}

struct CurlFailure: Error {
    var status: Int32
    var stderr: String
}

func parseHead(_ head: String, body: Data) -> LoopbackResponse {
    var lines = head.components(separatedBy: "\r\n").filter { !$0.isEmpty }
    // curl dumps every response head (e.g. after 100 Continue); keep the last one.
    if let lastStatus = lines.lastIndex(where: { $0.hasPrefix("HTTP/") }) { lines = Array(lines[lastStatus...]) }
    let status = lines.first.flatMap { Int($0.split(separator: " ").dropFirst().first ?? "") } ?? 0
    var headers: [String: String] = [:]
    for line in lines.dropFirst() {
        guard let colon = line.firstIndex(of: ":") else { continue }
        headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
    }
    return LoopbackResponse(status: status, headers: headers, body: body)
}

/// Runs blocking work on a thread of its own and awaits it, so that tests waiting on sockets do not hold the few
/// threads of the cooperative pool that concurrently running tests (and their timers) need.
func offThread<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        Thread.detachNewThread { continuation.resume(returning: body()) }
    }
}

/// The value of an unlabelled sample (or of the first line starting with `series`) in an exposition, or nil.
func sampleValue(_ series: String, in text: String) -> Double? {
    let prefix = series + " "
    guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix(prefix) }) else { return nil }
    return Double(line.dropFirst(prefix.count))
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
