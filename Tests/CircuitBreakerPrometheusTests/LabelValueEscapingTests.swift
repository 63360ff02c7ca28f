import Prometheus
import Testing

@testable import CircuitBreakerPrometheus

@Suite struct LabelValueEscapingTests {
    @Test func escapesBackslashQuoteAndLineFeedOnly() {
        var buffer: [UInt8] = []
        buffer.appendEscapedLabelValue("a\\b\"c\nd\re\tf\u{0}g é")
        #expect(String(decoding: buffer, as: UTF8.self) == "a\\\\b\\\"c\\nd\re\tf\u{0}g é")
    }

    @Test(arguments: ExpositionValidityTests.hostileNames)
    func matchesSwiftPrometheusEscaping(name: String) {
        // The library renders its own series; the hand-rendered histogram must escape identically.
        let registry = PrometheusCollectorRegistry()
        _ = registry.makeGauge(
            descriptor: MetricNameDescriptor(metricName: "probe", unitName: "", helpText: "Probe."),
            labels: [("breaker", name)]
        )
        let rendered = String(decoding: registry.emitToBuffer(), as: UTF8.self)
        var ours: [UInt8] = []
        ours.appendLabel("breaker", name)
        #expect(rendered.contains("probe{\(String(decoding: ours, as: UTF8.self))} 0.0\n"))
    }

    @Test(arguments: [0, 1, 9, 10, 1234567890, Int64.max])
    func appendsDecimals(value: Int64) {
        var buffer: [UInt8] = Array("x=".utf8)
        buffer.appendDecimal(value)
        #expect(String(decoding: buffer, as: UTF8.self) == "x=\(value)")
    }
}
