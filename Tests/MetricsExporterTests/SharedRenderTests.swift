import CircuitBreakerInternals
import Foundation
import TestSupport
@testable import MetricsExporter
import Synchronization
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A source for concurrency tests: numbers its renders, records when each one started, holds the renders listed in
/// `held` at a ``Gate`` until the test opens it, and writes `series` sample lines after `test_render_number`.
///
/// Holding a render at a gate, rather than making it take some time, lets a test decide what happens during a
/// render: the scrapes it issues meanwhile are waiting (the server says so) before the render finishes.
final class RecordingSource: Sendable {
    let gate = Gate()
    private let starts = Locked<[ContinuousClock.Instant]>([])
    private let held: Set<Int>
    private let series: Int

    init(holding held: Set<Int> = [1], series: Int = 2_000) {
        self.held = held
        self.series = series
    }

    /// How many times the source ran.
    var renders: Int { self.starts.withLock { $0.count } }

    /// When render `number` (1-based) started.
    func start(of number: Int) -> ContinuousClock.Instant? {
        self.starts.withLock { $0.indices.contains(number - 1) ? $0[number - 1] : nil }
    }

    var source: ExpositionSource {
        { buffer in self.render(into: &buffer) }
    }

    /// The last sample line, present only in a complete body.
    var lastLine: String { "test_series{index=\"\(self.series - 1)\"} \(self.series - 1)\n" }

    private func render(into buffer: inout [UInt8]) {
        let number = self.starts.withLock { starts in
            starts.append(.now)
            return starts.count
        }
        if self.held.contains(number) { self.gate.wait() }
        buffer.append(contentsOf: "# TYPE test_render_number gauge\ntest_render_number \(number)\n".utf8)
        buffer.append(contentsOf: "# TYPE test_series gauge\n".utf8)
        for index in 0..<self.series {
            buffer.append(contentsOf: "test_series{index=\"\(index)\"} \(index)\n".utf8)
        }
    }
}

/// The render number a body carries, or nil.
func renderNumber(_ text: String) -> Int? {
    guard let range = text.range(of: "\ntest_render_number ") else { return nil }
    return Int(text[range.upperBound...].prefix { $0.isNumber })
}

@Suite("Shared rendering")
struct SharedRenderTests {
    /// Performs one scrape: plain with the in-process client, gzip with curl (which decompresses it and checks the
    /// stream; those cases declare `.requires(.curl)`).
    private func scrape(_ base: String, gzip: Bool) async throws -> LoopbackResponse {
        gzip ? try await curlRequest(base + "/metrics", ["--compressed"]) : try await httpRequest(base + "/metrics")
    }

    /// Checks a complete, valid scrape of a ``RecordingSource`` and returns its render number.
    private func checkComplete(_ response: LoopbackResponse, gzip: Bool, source: RecordingSource) -> Int? {
        #expect(response.status == 200)
        if gzip {
            #expect(response.headers["content-encoding"] == "gzip")
        } else {
            #expect(response.headers["content-encoding"] == nil)
            #expect(response.headers["content-length"] == String(response.body.count))
        }
        let text = response.text
        #expect(text.contains(source.lastLine), "incomplete body of \(response.body.count) bytes")
        #expect(text.hasSuffix("metrics_exporter_build_info{version=\"\(SelfMetrics.libraryVersion)\"} 1\n"))
        #expect(isValidExposition(text))
        let number = renderNumber(text)
        #expect(number != nil)
        return number
    }

    @Test("Scrapes that arrive during a render share the next one: two renders for twenty requests")
    func concurrentScrapesShareRenders() async throws {
        try await self.concurrentScrapesShareRenders(mode: "plain")
    }

    @Test(
        "Gzipped scrapes share renders too, alone or mixed with plain ones",
        .requires(.curl),
        .tags(.externalTool),
        arguments: ["gzip", "mixed"]
    )
    func concurrentGzipScrapesShareRenders(mode: String) async throws {
        try await self.concurrentScrapesShareRenders(mode: mode)
    }

    private func concurrentScrapesShareRenders(mode: String) async throws {
        let source = RecordingSource()
        let requests = 20
        func usesGzip(_ index: Int) -> Bool { mode == "gzip" || (mode == "mixed" && index % 2 == 1) }
        try await withServer(source: source.source) { server, base in
            let results = try await withThrowingTaskGroup(of: (Int, LoopbackResponse).self) { group in
                group.addTask { (0, try await self.scrape(base, gzip: usesGzip(0))) }
                // Render 1 (for request 0) is held; every other request arrives while it runs.
                try #require(await eventually { source.renders == 1 }, "the first scrape never reached the source")
                for index in 1..<requests {
                    group.addTask { (index, try await self.scrape(base, gzip: usesGzip(index))) }
                }
                try #require(
                    await eventually { server.waitingScrapes == requests },
                    "only \(server.waitingScrapes) of \(requests) scrapes waiting"
                )
                source.gate.open()
                var results: [(Int, LoopbackResponse)] = []
                for try await result in group { results.append(result) }
                return results
            }
            #expect(results.count == requests)
            for (index, response) in results {
                let number = self.checkComplete(response, gzip: usesGzip(index), source: source)
                #expect(number == (index == 0 ? 1 : 2), "request \(index) got render \(String(describing: number))")
            }
            // One source call serves both encodings of a round.
            #expect(source.renders == 2, "\(source.renders) renders for \(requests) requests")
        }
    }

    @Test("A scrape that arrives after a render started never gets that render")
    func neverStale() async throws {
        try await self.neverStale(gzip: false)
    }

    @Test("A gzipped scrape that arrives after a render started never gets that render", .requires(.curl), .tags(.externalTool))
    func neverStaleGzip() async throws {
        try await self.neverStale(gzip: true)
    }

    private func neverStale(gzip: Bool) async throws {
        let source = RecordingSource()
        try await withServer(source: source.source) { server, base in
            async let first = self.scrape(base, gzip: gzip)
            try #require(await eventually { source.renders == 1 }, "the first scrape never reached the source")
            // Render 1 is held; these scrapes arrive after it started.
            let issued = ContinuousClock.now
            async let second = self.scrape(base, gzip: gzip)
            async let third = self.scrape(base, gzip: gzip)
            try #require(await eventually { server.waitingScrapes == 3 }, "the late scrapes never arrived")
            source.gate.open()
            let (a, b, c) = try await (first, second, third)
            #expect(self.checkComplete(a, gzip: gzip, source: source) == 1)
            for late in [b, c] {
                let number = try #require(self.checkComplete(late, gzip: gzip, source: source))
                #expect(number >= 2, "a scrape issued after render 1 started was served render 1")
                let started = try #require(source.start(of: number))
                #expect(started >= issued, "render \(number) started before the scrape was issued")
            }
        }
    }

    @Test("HEAD while another render runs gets the exact Content-Length of its own render")
    func headDuringRender() async throws {
        let source = RecordingSource()
        try await withServer(source: source.source) { server, base in
            let client = try RawClient(port: try port(of: server))
            // The HEAD arrives first; the GET, issued while the HEAD's render is held, waits for a newer render.
            client.send("HEAD /metrics HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            try #require(await eventually { source.renders == 1 }, "the HEAD never reached the source")
            async let get = self.scrape(base, gzip: false)
            try #require(await eventually { server.waitingScrapes == 2 }, "the GET never arrived")
            source.gate.open()
            let (bytes, closed) = await client.readUntilClosed()
            #expect(closed)
            let parts = String(decoding: bytes, as: UTF8.self).components(separatedBy: "\r\n\r\n")
            #expect(parts.count == 2 && parts.last == "", "HEAD must not send a body")
            let head = parseHead(parts[0], body: Data())
            #expect(head.status == 200)
            let length = try #require(head.headers["content-length"].flatMap { Int($0) })
            let response = try await get
            #expect(self.checkComplete(response, gzip: false, source: source) == 2)
            // Render 1 and render 2 differ only in their numbers and the self-metrics.
            #expect(abs(length - response.body.count) < 200)
        }
    }
}

@Suite("Shared rendering limits")
struct SharedRenderLimitTests {
    @Test("Waiting for a render is bounded: 503 at half the request timeout on the server clock, then service resumes")
    func waitIsBounded() async throws {
        var configuration = testConfiguration()
        configuration.limits.requestTimeout = .seconds(1)
        let clock = ManualServerClock()
        let source = RecordingSource(series: 1)
        try await withServer(configuration, clock: clock, source: source.source) { server, base in
            let request = "GET /metrics HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
            let first = try RawClient(port: try port(of: server))
            first.send(request)
            try #require(await eventually { source.renders == 1 }, "the scrape never reached the source")
            let second = try RawClient(port: try port(of: server))
            second.send(request)
            try #require(await eventually { server.waitingScrapes == 2 }, "the second scrape never arrived")
            // Render 1 is stuck. Both scrapes arrived at the clock's current reading; they may wait half the request
            // timeout (the other half is for sending), and not a nanosecond less.
            clock.advance(by: .milliseconds(500) - .nanoseconds(1))
            server.enforceDeadlines()
            #expect(server.waitingScrapes == 2, "a scrape was answered before its wait deadline")
            clock.advance(by: .nanoseconds(1))
            server.enforceDeadlines()
            #expect(server.waitingScrapes == 0)
            async let a = first.readUntilClosed()
            async let b = second.readUntilClosed()
            for answer in await [a, b] {
                let text = String(decoding: answer.bytes, as: UTF8.self)
                #expect(answer.closed)
                #expect(text.hasPrefix("HTTP/1.1 503"), "unexpected answer: \(text.prefix(80))")
                #expect(text.contains("Retry-After: 1\r\n"))
            }
            // Once the stuck render is over, scrapes are served again, from a new render.
            source.gate.open()
            let later = try await httpRequest(base + "/metrics")
            #expect(later.status == 200)
            #expect(renderNumber(later.text) == 2)
            #expect(later.text.contains("metrics_exporter_http_requests_total{code=\"503\",path=\"/metrics\"} 2\n"))
        }
    }

    @Test("Stopping without a grace period while scrapes wait answers them and stops cleanly")
    func stopWhileWaiting() async throws {
        var configuration = testConfiguration()
        configuration.shutdownGracePeriod = .zero
        let source = RecordingSource(series: 1)
        let server = try startedServer(configuration, source: source.source)
        let client = try RawClient(port: try port(of: server))
        client.send("GET /metrics HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        try #require(await eventually { source.renders == 1 }, "the scrape never reached the source")
        // Render 1 is stuck; stopping answers the waiting scrape without waiting for the render.
        let stopping = Task { await server.stop() }
        let (bytes, closed) = await client.readUntilClosed()
        #expect(closed)
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.isEmpty || text.hasPrefix("HTTP/1.1 503"), "unexpected answer: \(text.prefix(80))")
        source.gate.open()
        await stopping.value
        #expect(!server.isRunning)
    }
}
