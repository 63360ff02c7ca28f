import CircuitBreakerInternals
import Foundation
import MetricsExporter
import Testing
import TestSupport

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

@Suite("Standard routes")
struct StandardRoutesTests {
    @Test("GET /metrics serves the source and the self-metrics as text format 0.0.4")
    func metrics() async throws {
        try await withServer { _, base in
            let response = try await httpRequest(base + "/metrics")
            #expect(response.status == 200)
            #expect(response.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8")
            #expect(response.headers["content-length"] == String(response.body.count))
            #expect(response.headers["vary"] == "Accept, Accept-Encoding")
            #expect(response.headers["content-encoding"] == nil)
            let text = response.text
            #expect(text.hasPrefix("# HELP demo_requests_total Requests.\n"))
            #expect(text.contains("demo_requests_total{route=\"a\"} 42\n"))
            #expect(text.contains("# TYPE metrics_exporter_http_requests_total counter\n"))
            #expect(text.contains("metrics_exporter_build_info{version=\""))
            #expect(text.contains("# TYPE metrics_exporter_scrape_duration_seconds histogram\n"))
            #expect(isValidExposition(text), "not valid exposition:\n\(text)")
        }
    }

    @Test("The exposition is rendered per request, never cached")
    func freshEveryScrape() async throws {
        let counter = Counter()
        try await withServer(source: { buffer in
            buffer.append(contentsOf: "fresh_value \(counter.next())\n".utf8)
        }) { _, base in
            let first = try await httpRequest(base + "/metrics").text
            let second = try await httpRequest(base + "/metrics").text
            #expect(first.contains("fresh_value 1\n"))
            #expect(second.contains("fresh_value 2\n"))
        }
    }

    @Test("A source without a final newline still yields valid output")
    func missingNewline() async throws {
        try await withServer(source: { $0.append(contentsOf: "no_newline 1".utf8) }) { _, base in
            let text = try await httpRequest(base + "/metrics").text
            #expect(text.hasPrefix("no_newline 1\n# HELP"))
            #expect(isValidExposition(text))
        }
    }

    @Test("HEAD /metrics sends the headers and Content-Length without a body")
    func head() async throws {
        try await withServer { server, base in
            let get = try await httpRequest(base + "/metrics")
            let client = try RawClient(port: try port(of: server))
            client.send("HEAD /metrics HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            let (bytes, closed) = await client.readUntilClosed()
            #expect(closed)
            let text = String(decoding: bytes, as: UTF8.self)
            let parts = text.components(separatedBy: "\r\n\r\n")
            #expect(parts.count == 2)
            #expect(parts.last == "", "HEAD must not send a body")
            let head = parseHead(parts[0], body: Data())
            #expect(head.status == 200)
            #expect(head.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8")
            let length = try #require(head.headers["content-length"].flatMap { Int($0) })
            // The self-metrics change between requests; the size stays in the same range.
            #expect(abs(length - get.body.count) < 200)
        }
    }

    @Test("gzip when the scraper accepts it, and the decompressed body matches", .requires(.gzip), .tags(.externalTool))
    func gzip() async throws {
        try await withServer { _, base in
            let directory = try TemporaryDirectory()
            defer { directory.cleanup() }
            let compressed = try await httpRequest(base + "/metrics", ["-H", "Accept-Encoding: gzip"])
            #expect(compressed.status == 200)
            #expect(compressed.headers["content-encoding"] == "gzip")
            #expect(compressed.headers["vary"] == "Accept, Accept-Encoding")
            #expect(compressed.headers["content-length"] == String(compressed.body.count))
            #expect(compressed.body.starts(with: [0x1F, 0x8B]))
            try compressed.body.write(to: URL(fileURLWithPath: directory.file("body.gz")))
            let unzipped = try await runProcess(try #require(ExternalTool.gzip.path), ["-dc", directory.file("body.gz")])
            #expect(unzipped.status == 0)
            #expect(unzipped.text.hasPrefix("# HELP demo_requests_total Requests.\n"))
            #expect(isValidExposition(unzipped.text))

            let refused = try await httpRequest(base + "/metrics", ["-H", "Accept-Encoding: gzip;q=0, identity"])
            #expect(refused.headers["content-encoding"] == nil)
            #expect(refused.text.hasPrefix("# HELP demo_requests_total"))
        }
    }

    @Test("gzip can be switched off")
    func gzipDisabled() async throws {
        var configuration = testConfiguration()
        configuration.gzipLevel = nil
        try await withServer(configuration) { _, base in
            let response = try await httpRequest(base + "/metrics", ["-H", "Accept-Encoding: gzip"])
            #expect(response.headers["content-encoding"] == nil)
        }
    }

    @Test("The landing page links the metrics and escapes the status section")
    func landingPage() async throws {
        let status: StatusProvider = { "payments: open <script>alert(1)</script> & \"more\"" }
        try await withServer(status: status) { _, base in
            let response = try await httpRequest(base + "/")
            #expect(response.status == 200)
            #expect(response.headers["content-type"] == "text/html; charset=utf-8")
            let html = response.text
            #expect(html.contains("<title>test service</title>"))
            #expect(html.contains("Version 1.2.3"))
            #expect(html.contains("<a href=\"/metrics\">"))
            #expect(html.contains("payments: open &lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;more&quot;"))
            #expect(!html.contains("<script>"))
        }
    }

    @Test("Health endpoints", arguments: ["/-/healthy", "/healthz"])
    func health(path: String) async throws {
        try await withServer { _, base in
            let response = try await httpRequest(base + path)
            #expect(response.status == 200)
            #expect(response.text == "OK\n")
        }
    }

    @Test("Unknown paths are 404, other methods 405 with Allow, bodies to routes that take none 413")
    func refusals() async throws {
        try await withServer { _, base in
            let r1 = try await httpRequest(base + "/nope")
            #expect(r1.status == 404)
            let r2 = try await httpRequest(base + "/metrics/extra")
            #expect(r2.status == 404)
            let r3 = try await httpRequest(base + "/nope", ["-X", "DELETE"])
            #expect(r3.status == 404)

            // A method the path's routes do not answer is 405, body or not: there is no route to take the body.
            let post = try await httpRequest(base + "/metrics", ["-X", "POST"])
            #expect(post.status == 405)
            #expect(post.headers["allow"] == "GET, HEAD")
            let r4 = try await httpRequest(base + "/", ["-X", "PUT"])
            #expect(r4.status == 405)
            let postWithBody = try await httpRequest(base + "/metrics", ["--data-binary", "hello"])
            #expect(postWithBody.status == 405)

            // A body on a route that takes none is 413, whether its length is known or not.
            let getWithBody = try await httpRequest(base + "/metrics", ["-X", "GET", "--data-binary", "hello"])
            #expect(getWithBody.status == 413)
            let chunked = try await httpRequest(
                base + "/metrics",
                ["-X", "GET", "-H", "Transfer-Encoding: chunked", "--data-binary", "hello"]
            )
            #expect(chunked.status == 413)

            // Query strings do not change the route.
            let r5 = try await httpRequest(base + "/metrics?x=1")
            #expect(r5.status == 200)
            // The server still serves after all of that, and counted it.
            let metrics = try await httpRequest(base + "/metrics").text
            #expect(metrics.contains("metrics_exporter_http_requests_total{code=\"404\",path=\"other\"} 3\n"))
            #expect(metrics.contains("metrics_exporter_http_requests_total{code=\"405\",path=\"/metrics\"} 2\n"))
            #expect(metrics.contains("metrics_exporter_http_requests_total{code=\"405\",path=\"/\"} 1\n"))
            #expect(metrics.contains("metrics_exporter_http_requests_total{code=\"413\",path=\"/metrics\"} 2\n"))
            #expect(metrics.contains("metrics_exporter_http_requests_total{code=\"200\",path=\"/metrics\"} 1\n"))
        }
    }

    @Test("Keep-alive: two scrapes share one connection")
    func keepAlive() async throws {
        try await withServer { server, _ in
            let client = try RawClient(port: try port(of: server))
            client.send("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
            _ = await client.read(occurrences: 1, of: "metrics_exporter_build_info")
            client.send("GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            let (bytes, closed) = await client.readUntilClosed()
            let text = String(decoding: bytes, as: UTF8.self)
            #expect(closed)
            #expect(text.hasPrefix("HTTP/1.1 200"), "the second answer came on the first connection")
        }
    }

    @Test("Keep-alive survives a refused method on the same connection only up to the refusal")
    func keepAliveAfterNotFound() async throws {
        try await withServer { server, _ in
            let client = try RawClient(port: try port(of: server))
            client.send("GET /nope HTTP/1.1\r\nHost: x\r\n\r\n")
            let first = await client.read(occurrences: 1, of: "Not Found\n")
            #expect(String(decoding: first.bytes, as: UTF8.self).hasPrefix("HTTP/1.1 404"))
            #expect(!first.closed)
            client.send("GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            let (bytes, _) = await client.readUntilClosed()
            #expect(String(decoding: bytes, as: UTF8.self).hasPrefix("HTTP/1.1 200"))
        }
    }

    @Test("URLSession can scrape")
    func urlSession() async throws {
        try await withServer { _, base in
            let url = try #require(URL(string: base + "/metrics"))
            // A session of its own, invalidated after use, so it frees what it holds (the shared one never does).
            let session = URLSession(configuration: .ephemeral)
            defer { session.invalidateAndCancel() }
            let (data, response) = try await session.data(from: url)
            let http = try #require(response as? HTTPURLResponse)
            #expect(http.statusCode == 200)
            #expect(String(decoding: data, as: UTF8.self).contains("demo_requests_total{route=\"a\"} 42"))
        }
    }

    @Test("A custom metrics path")
    func customPath() async throws {
        var configuration = testConfiguration()
        configuration.metricsPath = "/custom/metrics"
        try await withServer(configuration) { _, base in
            let r6 = try await httpRequest(base + "/custom/metrics")
            #expect(r6.status == 200)
            let r7 = try await httpRequest(base + "/metrics")
            #expect(r7.status == 404)
            let r8 = try await httpRequest(base + "/")
            #expect(r8.text.contains("href=\"/custom/metrics\""))
        }
    }
}

/// A thread-safe counter for sources in tests.
final class Counter: Sendable {
    private let count = Locked(0)
    func next() -> Int {
        self.count.withLock {
            $0 += 1; return $0
        }
    }
    var value: Int { self.count.withLock { $0 } }
}

import Synchronization
