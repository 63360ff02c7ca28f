import CircuitBreaker
import CircuitBreakerInternals
import Foundation
import HTTPTypes
import Logging
import PortableRoutes
import Testing

@testable import CircuitBreakerOperations

/// Audit and error lines kept for assertions.
final class LogRecorder: Sendable {
    struct Line: Sendable {
        let level: Logger.Level
        let message: String
        let metadata: [String: String]
    }

    private let lines = Locked<[Line]>([])

    /// Everything logged so far.
    var all: [Line] { lines.withLock { $0 } }

    /// A logger whose lines this recorder keeps.
    var logger: Logger {
        Logger(label: "operations-test") { _ in RecordingHandler(recorder: self) }
    }

    fileprivate func keep(_ line: Line) {
        lines.withLock { $0.append(line) }
    }
}

private struct RecordingHandler: LogHandler {
    let recorder: LogRecorder
    var logLevel: Logger.Level = .trace
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let values = (event.metadata ?? [:]).mapValues { "\($0)" }
        recorder.keep(.init(level: event.level, message: event.message.description, metadata: values))
    }
}

/// Operations, a registry and a manual clock wired together, as a service would wire them.
struct Fixture {
    let clock: ManualClock
    let log = LogRecorder()
    let operations: BreakerOperations
    let registry: BreakerRegistry
    let handlers: OperationsHandlers

    init(
        configuration: BreakerOperations.Configuration = .default,
        clock: ManualClock = ManualClock(),
        extraMonitors: [any BreakerMonitor] = []
    ) {
        self.clock = clock
        operations = BreakerOperations(configuration: configuration, logger: log.logger, clock: .manual(clock))
        registry = BreakerRegistry(
            defaultConfiguration: .consecutiveFailures(2, openWait: .seconds(30)),
            monitors: extraMonitors + operations.monitors,
            clock: .manual(clock)
        )
        handlers = operations.handlers(for: registry)
    }

    /// The breaker called `name`, created if needed.
    func breaker(_ name: String, _ configuration: CircuitBreaker.Configuration? = nil) throws -> CircuitBreaker {
        try registry.breaker(named: name, configuration: configuration)
    }

    /// `POST /api/v1/breakers/{name}/override` with `body`, as `user`.
    func postOverride(_ name: String, _ body: String, user: String? = "alice") -> RouteResponse {
        handlers.applyOverride(
            operationsRequest(method: .post, pathParameters: ["name": name], body: Array(body.utf8), user: user)
        )
    }
}

/// A throwaway directory under the system's temporary directory.
func temporaryDirectory() throws -> String {
    let path = NSTemporaryDirectory() + "operations-tests-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// Trips `breaker` (a consecutive-failure breaker) with `count` failures.
func fail(_ breaker: CircuitBreaker, times count: Int) {
    struct Failure: Error {}
    for _ in 0..<count { _ = try? breaker.execute { throw Failure() } }
}

/// A request as a transport hands it to the operations handlers, `user` an admin when given.
func operationsRequest(
    method: HTTPRequest.Method = .get,
    pathParameters: [String: String] = [:],
    query: [String: String] = [:],
    headers: [String: String] = [:],
    body: [UInt8] = [],
    user: String? = nil
) -> RouteRequest {
    var fields = HTTPFields()
    for (name, value) in headers { fields[HTTPField.Name(name)!] = value }
    return RouteRequest(
        method: method,
        path: "/",
        headerFields: fields,
        body: body,
        pathParameters: pathParameters,
        queryParameters: query,
        user: user.map { AuthenticatedUser(name: $0, level: .admin) }
    )
}

extension RouteResponse {
    /// The body of a complete response (empty for chunks).
    var bytes: [UInt8] { body.bytes ?? [] }

    /// The header field `name`, if present.
    func header(_ name: String) -> String? {
        headerFields[HTTPField.Name(name)!]
    }
}

/// The first chunk of a response's body of chunks (the event stream's retry hint, gap and replay), then the
/// iterator is released, which forgets the reader.
func firstChunk(of response: RouteResponse) async -> String {
    guard let chunks = response.body.chunks else { return "" }
    var iterator = chunks.makeAsyncIterator()
    return String(decoding: await iterator.next() ?? [], as: UTF8.self)
}

/// The JSON object of a response body.
func object(_ response: RouteResponse) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(response.bytes)) as? [String: Any])
}

/// The `error.code` of a JSON error response.
func errorCode(_ response: RouteResponse) throws -> String? {
    (try object(response)["error"] as? [String: Any])?["code"] as? String
}

/// The unix time of a fresh `ManualClock`'s wall clock (its default origin).
let manualClockOrigin = ManualClock().wallClockSeconds

extension OverrideStateFile {
    /// The overrides the file holds as of a fresh manual clock, with the default maximum TTL; refused entries are
    /// ignored (tests of refusals read ``OverrideStateFile/Loaded/rejected``).
    func loadForTest() throws(OperationsError) -> [String: BreakerOverride] {
        try load(now: manualClockOrigin, maximumTTL: BreakerOperations.Configuration.default.maximumTTL).overrides
    }
}
