import CircuitBreaker
import CircuitBreakerInternals
import Foundation
import Testing
import TestSupport

@testable import CircuitBreakerPrometheus

/// The OpenMetrics exposition, with hostile breaker names, the registry's own families and exemplars, must pass
/// prometheus_client's OpenMetrics parser (a strict one), and differ from the text format only where OpenMetrics
/// says so.
@Suite struct OpenMetricsExpositionTests {
    @Test(.requires(.python3), .tags(.externalTool), arguments: ["classic", "native"])
    func hostileExpositionPassesTheOpenMetricsParser(_ kind: String) async throws {
        let fixture = try ExpositionFixture(histogram: kind == "native" ? .native : .classic)
        let text = fixture.monitor.emitOpenMetricsToString()
        let result = try await ToolRunner.check(
            Array(text.utf8),
            with: "e2e/formats/check-openmetrics.sh",
            suffix: "om"
        )
        #expect(result.status == 0, "check-openmetrics.sh:\n\(result.output)")
        let names = ExpositionValidityTests.hostileNames.count
        // 13 breakers: the text format's samples (see ExpositionValidityTests), plus 4 registry families: the
        // requests and retries counters, the gauge, and a histogram of 2 buckets (+Inf, _sum, _count).
        let histogramSamples = names * 4 * (kind == "native" ? 3 : 14)
        let breakerSamples = names * (15 + 5 + 5 + 2 + 1 + 1 + 5 + 3 + 1) + 6 * 3 + histogramSamples
        let expectedSamples = breakerSamples + 1 + 1 + 1 + 1 + 5
        // Every breaker made a traced 3 ms success and a traced 900 ms failure: one exemplar each. A native
        // histogram shows the latest exemplar on its one (+Inf) bucket per outcome: the same two.
        #expect(
            result.output.contains("ok: 18 families, \(expectedSamples) samples, \(2 * names) exemplars"),
            "\(result.output)"
        )
    }

    @Test func countersAreDeclaredWithoutTotalAndUnitsOnlyWhereTheNameEndsWithThem() throws {
        // "ledger" has the default failure-ratio policy: its ratio and threshold series exist.
        let fixture = try ExpositionFixture(histogram: .classic, names: ["payments", "ledger"])
        var body: [UInt8] = []
        fixture.monitor.emitOpenMetrics(into: &body)
        let text = String(decoding: body, as: UTF8.self)
        let lines = Set(text.split(separator: "\n").map(String.init))
        #expect(lines.contains("# TYPE circuit_breaker_calls counter"))
        #expect(lines.contains("# TYPE circuit_breaker_state_seconds counter"))
        #expect(lines.contains("# UNIT circuit_breaker_state_seconds seconds"))
        #expect(lines.contains("# UNIT circuit_breaker_call_duration_seconds seconds"))
        #expect(lines.contains("# UNIT circuit_breaker_failure_ratio ratio"))
        #expect(lines.contains("# TYPE circuit_breaker_failure_ratio_threshold gauge"))
        #expect(!text.contains("# UNIT circuit_breaker_failure_ratio_threshold"))
        #expect(lines.contains(#"circuit_breaker_calls_total{breaker="payments",outcome="success"} 2"#))
        #expect(lines.contains("# TYPE app_requests counter"))
        #expect(lines.contains(#"# HELP app_requests Requests \"served\", with a \\ backslash."#))
        #expect(lines.contains(#"app_requests_total{path="/a\"b\\c",method="GET\nPOST"} 7"#))
        // A counter registered without _total gets it on its samples, as OpenMetrics requires.
        #expect(lines.contains("# TYPE app_retries counter"))
        #expect(lines.contains("app_retries_total 1"))
        #expect(lines.contains("app_temperature_celsius -3.5"))
        #expect(lines.contains(#"app_latency_seconds_bucket{route="ünïcödé",le="+Inf"} 2"#))
        // The body is left open for the server's own families: the exporter appends # EOF.
        #expect(!text.contains("# EOF"))
        #expect(fixture.monitor.emitOpenMetricsToString().hasSuffix("\n# EOF\n"))
        #expect(!text.contains("_created"))
        #expect(fixture.monitor.conversionErrors.isEmpty)
    }

    @Test func bucketsCarryTheirLatestExemplar() throws {
        let fixture = try ExpositionFixture(histogram: .classic, names: ["payments"])
        let text = fixture.monitor.emitOpenMetricsToString()
        let prefix = #"circuit_breaker_call_duration_seconds_bucket{breaker="payments",outcome="#
        // 3 ms falls in le="0.005"; the exemplar time is the manual clock's wall time after the call.
        #expect(
            text.contains(
                prefix
                    + #""success",le="0.005"} 1 # {trace_id="4bf92f3577b34da6a3ce929d0e0e4100"} 0.003 1700000000.253"#
            ),
            "\(text)"
        )
        #expect(text.contains(prefix + #""failure",le="1.0"} 1 # {trace_id="odd \"id\"0"} 0.9 1700000001.193"#))
        // The untraced 40 ms success left no exemplar.
        #expect(text.contains(prefix + #""success",le="0.05"} 2"# + "\n"))
        // The text format 0.0.4 has no exemplars.
        #expect(!fixture.monitor.emitToString().contains("trace_id"))
    }

    @Test func nativeHistogramShowsCountSumAndTheLatestExemplarInText() throws {
        let fixture = try ExpositionFixture(histogram: .native, names: ["payments"])
        let text = fixture.monitor.emitOpenMetricsToString()
        let name = "circuit_breaker_call_duration_seconds"
        #expect(
            text.contains(
                #"\#(name)_bucket{breaker="payments",outcome="success",le="+Inf"} 2 # {trace_id="4bf92f3577b34da6a3ce929d0e0e4100"} 0.003 1700000000.253"#
            )
        )
        #expect(text.contains(#"\#(name)_sum{breaker="payments",outcome="success"} 0.043"#))
        #expect(text.contains(#"\#(name)_count{breaker="payments",outcome="failure"} 1"#))
        #expect(!text.contains(#"le="0.005""#))
        let plain = ExpositionSamples(fixture.monitor.emitToString())
        #expect(plain[#"\#(name)_bucket{breaker="payments",outcome="success",le="+Inf"}"#] == 2)
    }
}
