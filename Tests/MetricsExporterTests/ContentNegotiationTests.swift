@testable import MetricsExporter
import Testing

@Suite("Content negotiation")
struct ContentNegotiationTests {
    static let all: Set<ExpositionFormat> = [.prometheusText, .openMetrics, .protobuf]

    private func pick(_ accept: String?, _ offered: Set<ExpositionFormat> = all) -> ExpositionFormat {
        ExpositionFormat.negotiate(accept: accept.map { Array($0.utf8) }, offered: offered)
    }

    @Test("What Prometheus 2.42 sends, with and without native histograms")
    func prometheus() {
        let classic =
            "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,"
            + "text/plain;version=0.0.4;q=0.5,*/*;q=0.1"
        #expect(self.pick(classic) == .openMetrics)
        #expect(self.pick(classic, [.prometheusText]) == .prometheusText)
        let native =
            "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.7,"
            + "text/plain;version=0.0.4;q=0.3,*/*;q=0.2"
        #expect(self.pick(native) == .protobuf)
        #expect(self.pick(native, [.prometheusText, .openMetrics]) == .prometheusText)
    }

    @Test("curl, unknown clients and nonsense get text 0.0.4")
    func fallbacks() {
        #expect(self.pick(nil) == .prometheusText)
        #expect(self.pick("*/*") == .prometheusText)
        #expect(self.pick("application/json") == .prometheusText)
        #expect(self.pick(";;;,,,=q") == .prometheusText)
        #expect(self.pick("application/openmetrics-text; version=2.0.0") == .prometheusText)
        #expect(self.pick("application/vnd.google.protobuf") == .prometheusText)  // not delimited MetricFamily
    }

    @Test("Quality values decide; a tie goes to the range listed first; q=0 excludes")
    func qualities() {
        #expect(self.pick("text/plain;q=0.9, application/openmetrics-text;q=0.8") == .prometheusText)
        #expect(self.pick("application/openmetrics-text;q=0.8, text/plain;q=0.8") == .openMetrics)
        #expect(self.pick("text/plain;q=0.8, application/openmetrics-text;q=0.8") == .prometheusText)
        #expect(self.pick("application/openmetrics-text;q=0, */*") == .prometheusText)
        #expect(self.pick("APPLICATION/OpenMetrics-Text; Version=\"1.0.0\"") == .openMetrics)
    }

    @Test("Accept-Encoding")
    func acceptEncoding() {
        #expect(acceptsGzip(Array("gzip".utf8)))
        #expect(acceptsGzip(Array("deflate, GZIP;q=0.5".utf8)))
        #expect(acceptsGzip(Array("*".utf8)))
        #expect(acceptsGzip(Array("x-gzip".utf8)))
        #expect(!acceptsGzip(Array("identity".utf8)))
        #expect(!acceptsGzip(Array("gzip;q=0".utf8)))
        #expect(!acceptsGzip(Array("*, gzip;q=0.0".utf8)))
        #expect(!acceptsGzip(Array("".utf8)))
    }
}
