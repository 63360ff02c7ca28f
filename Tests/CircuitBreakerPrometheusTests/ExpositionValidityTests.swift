import CircuitBreaker
import Foundation
import Prometheus
import Testing

@testable import CircuitBreakerPrometheus

/// The exposition, with hostile breaker names and every kind of event, must pass two independent parsers:
/// `promtool check metrics` (Go, no lint finding allowed) and prometheus_client's text parser (Python).
@Suite struct ExpositionValidityTests {
    static let hostileNames = [
        "payments",
        #"quote"d"#,
        #"back\slash"#,
        #"trailing\"#,
        "new\nline",
        "carriage\rreturn\ttab",
        "nul\u{0}byte",
        "ünïcödé 支付 💳",
        "line\u{2028}separator",
        "{braces},comma=\"x\"",
        "# not a comment",
        "",
        " ",
    ]

    static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
    }

    func hostileExposition() throws -> String {
        let registry = PrometheusCollectorRegistry()
        let monitor = PrometheusMonitor(registry: registry, configuration: .init(recordsDurations: true))
        let clock = ManualClock()
        for (index, name) in Self.hostileNames.enumerated() {
            let configuration: CircuitBreaker.Configuration =
                index.isMultiple(of: 2) ? .consecutiveFailures(1, openWait: .seconds(1)) : .default
            let breaker = try CircuitBreaker(
                name: name,
                configuration: configuration,
                monitors: [monitor],
                clock: .manual(clock)
            )
            _ = try breaker.execute { clock.advance(by: .milliseconds(3)) }
            _ = try? breaker.execute { () throws -> Int in throw TestFailure() }
            _ = try? breaker.execute { 1 }
            if index.isMultiple(of: 3) { breaker.forceOpen() }
        }
        return monitor.emitToString()
    }

    @Test func hostileNamesProduceValidExpositionForPromtool() async throws {
        let promtool = try #require(
            ["/usr/bin/promtool", "/usr/local/bin/promtool"].first { FileManager.default.isExecutableFile(atPath: $0) },
            "promtool is not installed: `make test` installs it (apt-get install prometheus)"
        )
        let text = try hostileExposition()
        let result = try await run(promtool, ["check", "metrics"], stdin: Data(text.utf8))
        #expect(result.status == 0, "promtool: \(result.output)")
        #expect(result.output.isEmpty, "promtool lint findings:\n\(result.output)")
    }

    @Test func hostileNamesPassBothParsersThroughTheCheckScript() async throws {
        let text = try hostileExposition()
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("exposition-\(UUID()).prom")
        try Data(text.utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let script = Self.repositoryRoot.appendingPathComponent("e2e/check-exposition.sh").path
        let result = try await run("/bin/bash", [script, file.path], stdin: Data())
        #expect(result.status == 0, "check-exposition.sh:\n\(result.output)")
        #expect(result.output.contains("promtool check metrics: ok"))
        // 13 breakers: 15 transitions, 5 states, 5 outcomes, 2 fallbacks, slow, timestamp, 5 state times, 3
        // override counters and the override expiry each, ratios and the threshold for the 6 with a window policy,
        // one rejection counter, and 4 histograms of 14 samples each.
        let expectedSamples = 13 * (15 + 5 + 5 + 2 + 1 + 1 + 5 + 3 + 1) + 6 * 3 + 1 + 13 * 4 * 14
        #expect(result.output.contains("ok: 14 families, \(expectedSamples) samples"), "\(result.output)")
    }

    @Test func hostileNamesRoundTripThroughTheExposition() throws {
        let text = try hostileExposition()
        for name in Self.hostileNames {
            var escaped: [UInt8] = []
            escaped.appendLabel("breaker", name)
            let label = String(decoding: escaped, as: UTF8.self)
            #expect(text.contains("circuit_breaker_state{\(label),state=\"closed\"}"), "\(label)")
            #expect(text.contains("circuit_breaker_call_duration_seconds_count{\(label),outcome=\"failure\"} 1"))
        }
        // No raw line feed inside a label value: every line is a comment or a sample.
        for line in text.split(separator: "\n") {
            #expect(line.hasPrefix("#") || line.hasPrefix("circuit_breaker_"), "stray line: \(line)")
        }
    }

    /// Runs the tool on a thread of its own, so that waiting for it does not hold one of the few threads of the
    /// cooperative pool that other tests (and their timers) need.
    private func run(_ executable: String, _ arguments: [String], stdin: Data) async throws -> (status: Int32, output: String)
    {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                do {
                    continuation.resume(returning: try runBlocking(executable, arguments, stdin: stdin))
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
    }

    private func runBlocking(_ executable: String, _ arguments: [String], stdin: Data) throws -> (status: Int32, output: String)
    {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = output
        try process.run()
        input.fileHandleForWriting.write(stdin)
        try input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
