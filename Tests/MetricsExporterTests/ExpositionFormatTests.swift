import CircuitBreakerInternals
import Foundation
import MetricsExporter
import PrometheusClientModel
import Testing

@Suite("Exposition formats on the metrics path")
struct ExpositionFormatTests {
    static let openMetricsAccept =
        "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,"
        + "text/plain;version=0.0.4;q=0.5,*/*;q=0.1"
    static let protobufAccept =
        "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.7,"
        + "text/plain;version=0.0.4;q=0.3,*/*;q=0.2"

    /// An OpenMetrics source that (wrongly) ends with `# EOF`, to check that the server removes it.
    static let openMetrics: ExpositionSource = { buffer in
        buffer.append(contentsOf: "# TYPE demo_requests counter\ndemo_requests_total{route=\"a\"} 42\n# EOF\n".utf8)
    }

    /// A protobuf source: one delimited family of its own.
    static let protobuf: ExpositionSource = { buffer in
        var family = Io_Prometheus_Client_MetricFamily()
        family.name = "demo_source_family"
        family.type = .gauge
        var metric = Io_Prometheus_Client_Metric()
        metric.gauge.value = 7
        family.metric = [metric]
        try? family.appendDelimited(to: &buffer)
    }

    static let all = ExpositionSources(text: sampleExposition, openMetrics: openMetrics, protobuf: protobuf)

    @Test("OpenMetrics: the source's families, the server's own as OpenMetrics counters, one # EOF at the end")
    func openMetricsFormat() async throws {
        try await withServer(exposition: Self.all) { _, base in
            let response = try await httpRequest(base + "/metrics", ["-H", "Accept: \(Self.openMetricsAccept)"])
            #expect(response.status == 200)
            #expect(response.headers["content-type"] == "application/openmetrics-text; version=1.0.0; charset=utf-8")
            #expect(response.headers["vary"] == "Accept, Accept-Encoding")
            let text = response.text
            #expect(text.hasPrefix("# TYPE demo_requests counter\ndemo_requests_total{route=\"a\"} 42\n# HELP"))
            #expect(text.hasSuffix("\n# EOF\n"))
            #expect(text.components(separatedBy: "# EOF").count == 2, "exactly one # EOF")
            #expect(text.contains("# TYPE metrics_exporter_http_requests counter\n"))
            #expect(text.contains("\nmetrics_exporter_http_requests_total{code=\"200\",path=\"/metrics\"} "))
            #expect(
                text.contains(
                    "# TYPE metrics_exporter_request_timeouts counter\nmetrics_exporter_request_timeouts_total 0\n"
                )
            )
            #expect(text.contains("# UNIT metrics_exporter_scrape_duration_seconds seconds\n"))
            #expect(!text.contains("# TYPE metrics_exporter_http_requests_total"))
        }
    }

    @Test("OpenMetrics gzipped, as curl decompresses it", .requires(.curl), .tags(.externalTool))
    func openMetricsGzip() async throws {
        try await withServer(exposition: Self.all) { _, base in
            let gzip = try await curlRequest(base + "/metrics", ["--compressed", "-H", "Accept: \(Self.openMetricsAccept)"])
            #expect(gzip.headers["content-encoding"] == "gzip")
            #expect(gzip.text.hasSuffix("\n# EOF\n"))
        }
    }

    @Test("Protobuf: the source's families, then the server's own, which it appends by itself")
    func protobufFormat() async throws {
        try await withServer(exposition: Self.all) { _, base in
            let response = try await httpRequest(base + "/metrics", ["-H", "Accept: \(Self.protobufAccept)"])
            #expect(
                response.headers["content-type"]
                    == "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited"
            )
            let families = try Io_Prometheus_Client_MetricFamily.decodeDelimited(Array(response.body))
            #expect(
                families.map { "\($0.name) \($0.type) \($0.metric.count)" } == [
                    "demo_source_family gauge 1",
                    "metrics_exporter_http_requests_total counter 1",
                    "metrics_exporter_scrape_duration_seconds histogram 1",
                    "metrics_exporter_request_timeouts_total counter 1",
                    "metrics_exporter_evicted_connections_total counter 1",
                    "metrics_exporter_failed_logins_total counter 1",
                    "metrics_exporter_throttled_logins_total counter 1",
                    "metrics_exporter_open_connections gauge 1",
                    "metrics_exporter_build_info gauge 1",
                ]
            )
        }
    }

    @Test("Text stays the default: curl, and Prometheus when only text is offered")
    func textDefault() async throws {
        try await withServer(exposition: Self.all) { _, base in
            let curlDefault = try await httpRequest(base + "/metrics")
            #expect(curlDefault.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8")
            #expect(isValidExposition(curlDefault.text))
            #expect(curlDefault.text.contains("# TYPE metrics_exporter_http_requests_total counter\n"))
        }
        try await withServer { _, base in
            let prometheus = try await httpRequest(base + "/metrics", ["-H", "Accept: \(Self.openMetricsAccept)"])
            #expect(prometheus.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8")
        }
    }

    @Test("Concurrent scrapes in different formats each get their own format from one round")
    func formatsShareRounds() async throws {
        let gate = Gate()
        let renders = Counter()
        let heldText: ExpositionSource = { buffer in
            if renders.next() == 1 { gate.wait() }
            sampleExposition(&buffer)
        }
        let exposition = ExpositionSources(text: heldText, openMetrics: Self.openMetrics)
        try await withServer(exposition: exposition) { server, base in
            async let first = httpRequest(base + "/metrics")
            try #require(await eventually { renders.value == 1 })
            async let text = httpRequest(base + "/metrics")
            async let openMetrics = httpRequest(base + "/metrics", ["-H", "Accept: \(Self.openMetricsAccept)"])
            try #require(await eventually { server.waitingScrapes == 3 })
            gate.open()
            let (a, b, c) = try await (first, text, openMetrics)
            #expect(a.headers["content-type"]?.hasPrefix("text/plain") == true)
            #expect(b.headers["content-type"]?.hasPrefix("text/plain") == true)
            #expect(c.headers["content-type"]?.hasPrefix("application/openmetrics-text") == true)
            #expect(c.text.hasSuffix("# EOF\n"))
            // Render 1 for the first scrape; one more text render for the second (the OpenMetrics source is
            // another source, called in the same round).
            #expect(renders.value == 2)
        }
    }
}
