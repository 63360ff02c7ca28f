import CircuitBreaker
import CircuitBreakerInternals
import Foundation
import Prometheus
import PrometheusClientModel
import TestSupport
import Testing

@testable import CircuitBreakerPrometheus

struct Unavailable: Error {}

/// A group of keyed breakers exported by a Prometheus monitor, on a manual clock.
struct GroupFixture {
    let clock = ManualClock()
    let monitor: PrometheusMonitor
    let group: BreakerGroup

    init(
        name: String = "partners",
        maximumKeys: Int = 100,
        overflow: BreakerGroup.OverflowPolicy = .sharedBreaker,
        template: CircuitBreaker.Configuration = .consecutiveFailures(2, openWait: .seconds(10)),
        monitor configuration: PrometheusMonitor.Configuration = .default
    ) throws {
        monitor = PrometheusMonitor(configuration: configuration)
        group = try BreakerGroup(
            name: name,
            template: template,
            configuration: .init(maximumKeys: maximumKeys, overflow: overflow),
            monitors: [monitor],
            clock: .manual(clock)
        )
    }

    func succeed(_ key: String, taking duration: Duration = .zero) {
        _ = try? group.execute(key: key) { clock.advance(by: duration) }
    }

    func fail(_ key: String) {
        _ = try? group.execute(key: key) { throw Unavailable() }
    }

    var samples: ExpositionSamples { ExpositionSamples(monitor.emitToString()) }
}

@Suite struct GroupSeriesTests {
    static func key(_ family: String, _ key: String?, _ labels: String = "", group: String = "partners") -> String {
        var text: [UInt8] = Array("\(family){".utf8)
        text.appendLabel("breaker", group)
        if let key {
            text.append(UInt8(ascii: ","))
            text.appendLabel("key", key)
        }
        if !labels.isEmpty { text.append(contentsOf: ",\(labels)".utf8) }
        text.append(UInt8(ascii: "}"))
        return String(decoding: text, as: UTF8.self)
    }

    @Test func eachKeyExportsItsStateCallsAndTransitions() throws {
        let fixture = try GroupFixture()
        fixture.succeed("a.example")
        fixture.succeed("a.example")
        fixture.fail("b.example")
        fixture.fail("b.example")  // opens
        fixture.fail("b.example")  // rejected
        let samples = fixture.samples
        #expect(samples[Self.key("circuit_breaker_key_state", "a.example", #"state="closed""#)] == 1)
        #expect(samples[Self.key("circuit_breaker_key_state", "b.example", #"state="open""#)] == 1)
        #expect(samples[Self.key("circuit_breaker_key_state", "b.example", #"state="closed""#)] == 0)
        #expect(samples[Self.key("circuit_breaker_key_calls_total", "a.example", #"outcome="success""#)] == 2)
        #expect(samples[Self.key("circuit_breaker_key_calls_total", "b.example", #"outcome="failure""#)] == 2)
        #expect(samples[Self.key("circuit_breaker_key_calls_total", "b.example", #"outcome="rejected""#)] == 1)
        #expect(
            samples[Self.key("circuit_breaker_key_transitions_total", "b.example", #"from="closed",to="open""#)] == 1
        )
        // Per key: 5 states, 5 outcomes, the 4 transitions a breaker makes by itself.
        for family in [
            "circuit_breaker_key_state", "circuit_breaker_key_calls_total",
            "circuit_breaker_key_transitions_total",
        ] {
            let perKey = samples.keys(of: family).filter { $0.contains(#"key="a.example""#) }.count
            #expect(perKey == 5 + (family.hasSuffix("transitions_total") ? -1 : 0), "\(family)")
        }
        #expect(samples.keys(of: "circuit_breaker_key_state").count == 3 * 5, "a, b and the overflow breaker")
        // The overflow breaker's series carry no key label.
        #expect(samples[Self.key("circuit_breaker_key_state", nil, #"state="closed""#)] == 1)
        // The group's own series.
        #expect(samples[#"circuit_breaker_group_keys{breaker="partners"}"#] == 2)
        #expect(samples[#"circuit_breaker_group_max_keys{breaker="partners"}"#] == 100)
        #expect(samples[#"circuit_breaker_group_evictions_total{breaker="partners"}"#] == 0)
        #expect(samples[#"circuit_breaker_group_overflow_total{breaker="partners",policy="shared_breaker"}"#] == 0)
        // A group is one name among the breakers: none of the breaker families per key.
        #expect(samples.keys(of: "circuit_breaker_state").isEmpty)
        #expect(fixture.monitor.breakerNames.isEmpty)
        #expect(samples.keys(of: "circuit_breaker_call_duration_seconds_count").isEmpty, "no durations by default")
        #expect(samples[#"circuit_breaker_slow_calls_total{breaker="partners"}"#] == 0)
        #expect(samples[#"circuit_breaker_fallbacks_total{breaker="partners",result="success"}"#] == 0)
    }

    @Test func anOperatorsTransitionAppearsOnceItOccurred() throws {
        let fixture = try GroupFixture()
        fixture.succeed("a")
        let pair = Self.key("circuit_breaker_key_transitions_total", "a", #"from="closed",to="forced_open""#)
        #expect(fixture.samples[pair] == nil)
        try fixture.group.breaker(for: "a").forceOpen()
        #expect(fixture.samples[pair] == 1)
        #expect(fixture.samples[Self.key("circuit_breaker_key_state", "a", #"state="forced_open""#)] == 1)
    }

    @Test func anOpenKeyWhoseWaitElapsedReadsHalfOpenAtTheScrape() throws {
        let fixture = try GroupFixture()
        fixture.fail("a")
        fixture.fail("a")
        #expect(fixture.samples[Self.key("circuit_breaker_key_state", "a", #"state="open""#)] == 1)
        fixture.clock.advance(by: .seconds(11))
        let samples = fixture.samples
        #expect(samples[Self.key("circuit_breaker_key_state", "a", #"state="half_open""#)] == 1)
        #expect(samples[Self.key("circuit_breaker_key_state", "a", #"state="open""#)] == 0)
        #expect(
            samples[Self.key("circuit_breaker_key_transitions_total", "a", #"from="open",to="half_open""#)] == 1
        )
    }

    @Test func anEvictedKeysSeriesLeaveAtTheNextScrape() throws {
        let fixture = try GroupFixture(maximumKeys: 2)
        fixture.succeed("old")
        fixture.succeed("kept")
        fixture.succeed("kept")
        #expect(fixture.samples.keys(of: "circuit_breaker_key_calls_total").contains { $0.contains(#"key="old""#) })
        fixture.succeed("new")
        let samples = fixture.samples
        #expect(!samples.text.contains(#"key="old""#), "every series of the evicted key is gone")
        #expect(samples.text.contains(#"key="new""#))
        #expect(samples.text.contains(#"key="kept""#))
        #expect(samples[#"circuit_breaker_group_evictions_total{breaker="partners"}"#] == 1)
        #expect(samples[#"circuit_breaker_group_keys{breaker="partners"}"#] == 2)
    }

    @Test func overflowIsCountedUnderThePolicy() throws {
        let shared = try GroupFixture(maximumKeys: 1)
        shared.fail("failing")
        shared.succeed("overflowing")
        var samples = shared.samples
        #expect(samples[#"circuit_breaker_group_overflow_total{breaker="partners",policy="shared_breaker"}"#] == 1)
        #expect(samples[Self.key("circuit_breaker_key_calls_total", nil, #"outcome="success""#)] == 1)
        #expect(!samples.text.contains(#"key="overflowing""#))

        let rejecting = try GroupFixture(maximumKeys: 1, overflow: .reject)
        rejecting.fail("failing")
        rejecting.succeed("overflowing")
        samples = rejecting.samples
        #expect(samples[#"circuit_breaker_group_overflow_total{breaker="partners",policy="reject"}"#] == 1)
        #expect(samples.keys(of: "circuit_breaker_key_state").count == 5, "one key, no overflow breaker")
    }

    @Test func durationsAreRecordedPerGroupAndPerKeyOnlyWhenAskedFor() throws {
        let perGroup = try GroupFixture(monitor: .init(recordsDurations: true))
        perGroup.succeed("a", taking: .milliseconds(3))
        perGroup.succeed("b", taking: .milliseconds(40))
        var samples = perGroup.samples
        let count = #"circuit_breaker_call_duration_seconds_count{breaker="partners",outcome="success"}"#
        #expect(samples[count] == 2)
        #expect(samples[#"circuit_breaker_call_duration_seconds_sum{breaker="partners",outcome="success"}"#] == 0.043)
        #expect(samples.keys(of: "circuit_breaker_key_call_duration_seconds_count").isEmpty)

        let perKey = try GroupFixture(monitor: .init(recordsDurations: true, perKeyDurationHistograms: true))
        perKey.succeed("a", taking: .milliseconds(3))
        perKey.succeed("b", taking: .milliseconds(40))
        perKey.succeed("b", taking: .milliseconds(40))
        samples = perKey.samples
        #expect(samples[count] == 3)
        #expect(samples[Self.key("circuit_breaker_key_call_duration_seconds_count", "b", #"outcome="success""#)] == 2)
        #expect(
            samples[Self.key("circuit_breaker_key_call_duration_seconds_bucket", "a", #"outcome="success",le="0.005""#)]
                == 1
        )
        #expect(
            samples[Self.key("circuit_breaker_key_call_duration_seconds_bucket", "b", #"outcome="success",le="0.025""#)]
                == 0
        )
        // 4 outcomes × (11 buckets + +Inf + _sum + _count) per key.
        #expect(
            samples.text.split(separator: "\n").filter { $0.contains(#"key="b""#) && $0.contains("_duration_") }.count
                == 56
        )
    }

    @Test func aGroupTakesOneNameAmongTheBreakers() throws {
        let monitor = PrometheusMonitor(configuration: .init(maximumBreakers: 2))
        let registry = BreakerRegistry(monitors: [monitor])
        _ = try registry.group(named: "partners")
        _ = try registry.breaker(named: "payments")
        #expect(throws: PrometheusMonitorError.self) { try registry.group(named: "tenants") }
        #expect(throws: PrometheusMonitorError.self) {
            try BreakerGroup(name: "payments", monitors: [monitor])
        }
        let group = try #require(registry.existingGroup(named: "partners"))
        for index in 0..<10 { _ = try group.breaker(for: "key-\(index)") }
        #expect(monitor.emitToString().contains(#"circuit_breaker_group_keys{breaker="partners"} 10"#))
        registry.removeGroup(named: "partners")
        let text = monitor.emitToString()
        #expect(!text.contains(#"breaker="partners""#), "a removed group takes every series with it")
        _ = try registry.group(named: "tenants")
    }

    static let hostileKeys = [
        "plain", #"quote"d"#, #"back\slash"#, "new\nline", "carriage\rreturn\ttab", "nul\u{0}byte", "ünïcödé 支付 💳",
        "line\u{2028}separator", "{braces},comma=\"x\"", "# not a comment", " ",
    ]

    /// A group whose name and keys are hostile, with every kind of series, including per-key histograms.
    static func hostileGroup(histogram: PrometheusMonitor.Configuration.HistogramKind) throws -> GroupFixture {
        let fixture = try GroupFixture(
            name: #"part"ners\#n"#,
            monitor: .init(recordsDurations: true, durationHistogram: histogram, perKeyDurationHistograms: true)
        )
        for (index, key) in hostileKeys.enumerated() {
            fixture.succeed(key, taking: .milliseconds(3))
            if index % 2 == 0 {
                fixture.fail(key)
                fixture.fail(key)
            }
        }
        try fixture.group.breaker(for: "plain").forceOpen()
        return fixture
    }

    @Test(.requires(.promtool), .requires(.python3), .tags(.externalTool))
    func hostileKeysPassBothTextParsers() async throws {
        let fixture = try Self.hostileGroup(histogram: .classic)
        let text = fixture.monitor.emitToString()
        let result = try await ToolRunner.check(Array(text.utf8), with: "e2e/check-exposition.sh", suffix: "prom")
        #expect(result.status == 0, "check-exposition.sh:\n\(result.output)")
        // 11 keys and the overflow breaker: 5 states, 5 outcomes, 4 transitions and 56 histogram samples each,
        // plus open → forced_open for "plain"; the group's durations (56), slow calls, 2 fallbacks and 4 series of
        // its own; the registry's rejected registrations.
        let expected = 12 * (5 + 5 + 4 + 56) + 1 + 56 + 1 + 2 + 4 + 1
        #expect(result.output.contains("ok: 12 families, \(expected) samples"), "\(result.output)")
        for key in Self.hostileKeys {
            var label: [UInt8] = []
            label.appendLabel("key", key)
            #expect(text.contains(String(decoding: label, as: UTF8.self)), "\(key)")
        }
    }

    @Test(.requires(.python3), .tags(.externalTool), arguments: ["classic", "native"])
    func hostileKeysPassTheOpenMetricsParser(_ kind: String) async throws {
        let fixture = try Self.hostileGroup(histogram: kind == "native" ? .native : .classic)
        let text = fixture.monitor.emitOpenMetricsToString()
        let result = try await ToolRunner.check(
            Array(text.utf8),
            with: "e2e/formats/check-openmetrics.sh",
            suffix: "om"
        )
        #expect(result.status == 0, "check-openmetrics.sh:\n\(result.output)")
        #expect(result.output.contains("ok: 12 families"), "\(result.output)")
    }

    @Test(arguments: ["classic", "native"])
    func protobufHoldsExactlyTheTextSamples(_ kind: String) throws {
        let fixture = try Self.hostileGroup(histogram: kind == "native" ? .native : .classic)
        var bytes: [UInt8] = []
        fixture.monitor.emitProtobuf(into: &bytes)
        let families = try ProtobufExpositionTests.decode(bytes)
        let decoded = ProtobufExpositionTests.samples(of: families)
        let text = ExpositionSamples(fixture.monitor.emitToString())
        if kind == "classic" {
            #expect(Set(decoded.keys) == Set(text.values.keys))
        }
        for (key, value) in text.values where kind == "classic" || !key.contains("_bucket") {
            #expect(decoded[key] == value, "\(key)")
        }
        let keyHistograms = try #require(families.first { $0.name == "circuit_breaker_key_call_duration_seconds" })
        #expect(keyHistograms.metric.count == 12 * 4, "11 keys and the overflow breaker, 4 outcomes each")
        if kind == "native" {
            #expect(keyHistograms.metric.allSatisfy { $0.histogram.schema == 2 })
        }
    }
}
