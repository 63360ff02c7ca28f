import CircuitBreaker
import Foundation
import Prometheus
import Testing
import TestSupport

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

    func hostileExposition() throws -> String {
        try ExpositionFixture(histogram: .classic, serviceMetrics: false).monitor.emitToString()
    }

    @Test(.requires(.promtool), .tags(.externalTool))
    func hostileNamesProduceValidExpositionForPromtool() async throws {
        let promtool = try #require(ExternalTool.promtool.path)
        let text = try hostileExposition()
        let result = try await ToolRunner.run(promtool, ["check", "metrics"], stdin: Data(text.utf8))
        #expect(result.status == 0, "promtool: \(result.output)")
        #expect(result.output.isEmpty, "promtool lint findings:\n\(result.output)")
    }

    @Test(.requires(.promtool), .requires(.python3), .tags(.externalTool))
    func hostileNamesPassBothParsersThroughTheCheckScript() async throws {
        let text = try hostileExposition()
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("exposition-\(UUID()).prom")
        try Data(text.utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let script = ToolRunner.repositoryRoot.appendingPathComponent("e2e/check-exposition.sh").path
        let result = try await ToolRunner.run("/bin/bash", [script, file.path], stdin: Data())
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
}
