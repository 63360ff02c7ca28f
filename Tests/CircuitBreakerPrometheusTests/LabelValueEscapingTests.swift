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
        // The library renders the service's series; the hand-rendered breakers' series must escape identically.
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
}
