#if HummingbirdSupport
import CircuitBreaker
import CircuitBreakerInternals
import CircuitBreakerOperations
import Foundation
import Hummingbird
import Logging
import Testing
import TestSupport

/// A logger that discards everything, so test output stays readable.
let quietLogger = Logger(label: "hummingbird-tests", factory: { _ in SwiftLogNoOpLogHandler() })

/// Runs a Hummingbird application with `router` on an ephemeral loopback port, runs `body` with its base URL, and
/// always stops it.
func withApplication<Context: RequestContext>(
    _ router: Router<Context>,
    _ body: @Sendable (String) async throws -> Void
) async throws where Context.Source == ApplicationRequestContextSource {
    let port = Locked<Int?>(nil)
    let app = Application(
        router: router,
        configuration: .init(address: .hostname("127.0.0.1", port: 0)),
        onServerRunning: { channel in port.withLock { $0 = channel.localAddress?.port } },
        logger: quietLogger
    )
    let running = Task { try await app.runService(gracefulShutdownSignals: []) }
    // Bounds a hang only: the server is up within milliseconds.
    let deadline = ContinuousClock.now + .seconds(30)
    while port.withLock({ $0 }) == nil, ContinuousClock.now < deadline {
        try await Task.sleep(for: .milliseconds(5))
    }
    let bound = try #require(port.withLock { $0 }, "the application never started")
    do {
        try await body("http://127.0.0.1:\(bound)")
    } catch {
        running.cancel()
        _ = await running.result
        throw error
    }
    running.cancel()
    _ = await running.result
}

/// One request with the in-process client.
func httpRequest(_ url: String, _ options: [String] = []) async throws -> LoopbackResponse {
    try await LoopbackHTTPClient.request(url, options, timeout: .seconds(30))
}

/// The `error.code` of a JSON error body.
func errorCode(_ response: LoopbackResponse) -> String? {
    (try? JSONDecoder().decode([String: [String: String]].self, from: response.body))?["error"]?["code"]
}

/// Waits until `condition` holds, polling; false after 30 s (a bound on a hang, never a speed requirement).
func eventually(_ condition: () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + .seconds(30)
    while !condition() {
        if ContinuousClock.now >= deadline { return false }
        try? await Task.sleep(for: .milliseconds(2))
    }
    return true
}
#endif
