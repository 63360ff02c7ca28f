import CircuitBreakerInternals
import Foundation
@testable import MetricsExporter
import Synchronization
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A source for concurrency tests: numbers its renders, records when each one started, takes `delay` per render and
/// writes `series` sample lines after `test_render_number`.
final class RecordingSource: Sendable {
    private let starts = Locked<[ContinuousClock.Instant]>([])
    private let delay: Duration
    private let series: Int

    init(delay: Duration, series: Int = 2_000) {
        self.delay = delay
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
        let (seconds, attoseconds) = self.delay.components
        usleep(UInt32(seconds * 1_000_000 + attoseconds / 1_000_000_000_000))
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
    /// Performs one scrape, plain or gzip (curl decompresses it and checks the stream).
    private func scrape(_ base: String, gzip: Bool) async throws -> CurlResponse {
        try await curlRequest(base + "/metrics", gzip ? ["--compressed"] : [])
    }

    /// Checks a complete, valid scrape of a ``RecordingSource`` and returns its render number.
    private func checkComplete(_ response: CurlResponse, gzip: Bool, source: RecordingSource) -> Int? {
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

    @Test(
        "Concurrent scrapes get complete bodies from fewer renders than requests",
        arguments: ["plain", "gzip", "mixed"]
    )
    func concurrentScrapesShareRenders(mode: String) async throws {
        let source = RecordingSource(delay: .milliseconds(100))
        let requests = 20
        try await withServer(source: source.source) { _, base in
            let results = try await withThrowingTaskGroup(of: (CurlResponse, Bool).self) { group in
                for index in 0..<requests {
                    let gzip = mode == "gzip" || (mode == "mixed" && index % 2 == 1)
                    group.addTask { (try await self.scrape(base, gzip: gzip), gzip) }
                }
                var results: [(CurlResponse, Bool)] = []
                for try await result in group { results.append(result) }
                return results
            }
            #expect(results.count == requests)
            var seen = Set<Int>()
            for (response, gzip) in results {
                if let number = self.checkComplete(response, gzip: gzip, source: source) { seen.insert(number) }
            }
            #expect(source.renders < requests, "the source ran once per request: nothing was shared")
            #expect(seen.count <= source.renders)
        }
    }

    @Test("A scrape that arrives after a render started never gets that render", arguments: [false, true])
    func neverStale(gzip: Bool) async throws {
        let source = RecordingSource(delay: .milliseconds(300))
        try await withServer(source: source.source) { _, base in
            async let first = self.scrape(base, gzip: gzip)
            let waitLimit = ContinuousClock.now + .seconds(10)
            while source.renders < 1, ContinuousClock.now < waitLimit {
                try await Task.sleep(for: .milliseconds(2))
            }
            try #require(source.renders >= 1, "the first scrape never reached the source")
            // Render 1 is running now; these scrapes arrive after it started.
            let issued = ContinuousClock.now
            async let second = self.scrape(base, gzip: gzip)
            async let third = self.scrape(base, gzip: gzip)
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
        let source = RecordingSource(delay: .milliseconds(200))
        try await withServer(source: source.source) { server, base in
            let client = try RawClient(port: try port(of: server))
            // The HEAD arrives first; the GET, issued while the HEAD's render runs, waits and gets a newer render.
            client.send("HEAD /metrics HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            let get = try await self.scrape(base, gzip: false)
            let (bytes, closed, _) = await client.readUntilClosed(timeout: .seconds(5))
            #expect(closed)
            let parts = String(decoding: bytes, as: UTF8.self).components(separatedBy: "\r\n\r\n")
            #expect(parts.count == 2 && parts.last == "", "HEAD must not send a body")
            let head = parseHead(parts[0], body: Data())
            #expect(head.status == 200)
            let length = try #require(head.headers["content-length"].flatMap { Int($0) })
            #expect(abs(length - get.body.count) < 200)
            _ = self.checkComplete(get, gzip: false, source: source)
        }
    }
}

@Suite("Shared rendering limits")
struct SharedRenderLimitTests {
    /// A source whose first render takes `firstDelay`, later ones none.
    private static func slowFirst(_ renders: Counter, firstDelay: UInt32) -> ExpositionSource {
        { buffer in
            let number = renders.next()
            if number == 1 { usleep(firstDelay) }
            buffer.append(contentsOf: "# TYPE test_render_number gauge\ntest_render_number \(number)\n".utf8)
        }
    }

    @Test("Waiting for a render is bounded: 503 within half the request timeout, then service resumes")
    func waitIsBounded() async throws {
        var configuration = testConfiguration()
        configuration.limits.requestTimeout = .seconds(1)
        let renders = Counter()
        try await withServer(configuration, source: Self.slowFirst(renders, firstDelay: 2_500_000)) { server, base in
            let request = "GET /metrics HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
            let first = try RawClient(port: try port(of: server))
            first.send(request)
            let limit = ContinuousClock.now + .seconds(5)
            while renders.value < 1, ContinuousClock.now < limit {
                try await Task.sleep(for: .milliseconds(5))
            }
            try #require(renders.value == 1, "the scrape never reached the source")
            let second = try RawClient(port: try port(of: server))
            second.send(request)
            // The slow render takes 2.5 s; each wait must end well before (0.5 s plus a reaper interval).
            async let a = first.readUntilClosed(timeout: .seconds(5))
            async let b = second.readUntilClosed(timeout: .seconds(5))
            let (answerA, answerB) = await (a, b)
            for answer in [answerA, answerB] {
                let text = String(decoding: answer.bytes, as: UTF8.self)
                #expect(text.hasPrefix("HTTP/1.1 503"), "unexpected answer: \(text.prefix(80))")
                #expect(text.contains("Retry-After: 1\r\n"))
                #expect(answer.elapsed < .milliseconds(1_800), "the wait was not bounded: \(answer.elapsed)")
            }
            // Once the slow render is over, scrapes are served again, from a new render.
            while renders.value < 2, ContinuousClock.now < limit + .seconds(5) {
                let later = try await curlRequest(base + "/metrics")
                if later.status == 200 {
                    #expect(renderNumber(later.text).map { $0 >= 2 } == true)
                    // The two bounded waits, and any retry of this loop that came too early, answered 503.
                    let prefix = "metrics_exporter_http_requests_total{code=\"503\",path=\"/metrics\"} "
                    let line = later.text.split(separator: "\n").first { $0.hasPrefix(prefix) }
                    #expect(line.flatMap { Int($0.dropFirst(prefix.count)) }.map { $0 >= 2 } == true)
                    break
                }
                try await Task.sleep(for: .milliseconds(200))
            }
            #expect(renders.value >= 2)
        }
    }

    @Test("Stopping without a grace period while scrapes wait answers them and stops cleanly")
    func stopWhileWaiting() async throws {
        var configuration = testConfiguration()
        configuration.shutdownGracePeriod = .zero
        let renders = Counter()
        let server = MetricsServer(
            configuration: configuration,
            logger: quietLogger,
            source: Self.slowFirst(renders, firstDelay: 3_000_000)
        )
        try server.start()
        let client = try RawClient(port: try port(of: server))
        client.send("GET /metrics HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        let limit = ContinuousClock.now + .seconds(5)
        while renders.value < 1, ContinuousClock.now < limit {
            try await Task.sleep(for: .milliseconds(5))
        }
        try #require(renders.value == 1, "the scrape never reached the source")
        await server.stop()
        #expect(!server.isRunning)
        let (bytes, closed, _) = await client.readUntilClosed(timeout: .seconds(5))
        #expect(closed)
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.isEmpty || text.hasPrefix("HTTP/1.1 503"), "unexpected answer: \(text.prefix(80))")
    }
}
