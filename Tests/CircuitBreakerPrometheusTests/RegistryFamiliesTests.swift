import Testing

@testable import CircuitBreakerPrometheus

@Suite struct RegistryFamiliesTests {
    @Test func parsesWhatSwiftPrometheusWrites() throws {
        let text = """
            # HELP requests_total Served, a \\\\ backslash\\nand a line.
            # TYPE requests_total counter
            requests_total{path="/a\\"b\\\\c",method="GET\\nPOST"} 7
            # TYPE temperature gauge
            temperature inf
            temperature{room="x"} -inf
            temperature{room="y"} nan
            # TYPE latency histogram
            latency_bucket{le="0.01"} 1
            latency_bucket{le="+Inf"} 2
            latency_sum 2.005
            latency_count 2

            """
        let (families, errors) = RegistryExpositionParser.parse(Array(text.utf8))
        #expect(errors.isEmpty)
        #expect(families.map(\.name) == ["requests_total", "temperature", "latency"])
        #expect(families[0].help == Array("Served, a \\ backslash\nand a line.".utf8))
        #expect(families[0].samples[0].labels.map(\.value) == [#"/a"b\c"#, "GET\nPOST"])
        #expect(families[1].help == nil)
        #expect(families[1].samples.map(\.value).prefix(2) == [.infinity, -.infinity])
        #expect(families[1].samples[2].value.isNaN)
        #expect(
            families[2].samples.map(\.name) == ["latency_bucket", "latency_bucket", "latency_sum", "latency_count"]
        )
        let histogram = families[2].protobufMessage
        #expect(histogram.type == .histogram)
        #expect(histogram.metric.count == 1)
        #expect(histogram.metric[0].histogram.bucket.map(\.upperBound) == [0.01, .infinity])
        #expect(histogram.metric[0].histogram.sampleCount == 2)
        #expect(histogram.metric[0].histogram.sampleSum == 2.005)
    }

    @Test func aFamilyWithABrokenLineIsLeftOutWithAnError() {
        let text = """
            # TYPE good counter
            good 1
            # TYPE bad gauge
            bad{label="unterminated} 1
            bad 2
            # TYPE alsobad gauge
            alsobad twelve

            """
        let (families, errors) = RegistryExpositionParser.parse(Array(text.utf8))
        #expect(families.map(\.name) == ["good"])
        #expect(errors.map(\.reason) == ["an unterminated label value", #"the value "twelve" is not a number"#])
    }

    @Test func samplesWithoutATypeBecomeUntypedFamilies() {
        let (families, errors) = RegistryExpositionParser.parse(Array("loose{a=\"b\"} 3\n".utf8))
        #expect(errors.isEmpty)
        #expect(families.count == 1)
        #expect(families.first?.kind == .untyped)
        var text: [UInt8] = []
        families.first?.appendOpenMetrics(into: &text)
        #expect(String(decoding: text, as: UTF8.self) == "# TYPE loose unknown\nloose{a=\"b\"} 3\n")
    }
}
