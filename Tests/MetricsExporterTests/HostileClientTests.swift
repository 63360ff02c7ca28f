import Foundation
import MetricsExporter
import PortableRoutes
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Hostile clients against a server whose clock the test drives: the request deadline is checked by advancing the
/// clock to just before and just at it, never by measuring how long the machine took.
@Suite("Hostile clients")
struct HostileClientTests {
    /// A scrape after the attack still succeeds.
    func expectStillServes(_ base: String) async throws {
        let response = try await httpRequest(base + "/metrics")
        #expect(response.status == 200)
        #expect(response.text.contains("demo_requests_total"))
    }

    /// Limits with a request timeout of 1 s and an idle timeout libmicrohttpd never reaches during a test (its idle
    /// timer runs on the real clock; the request deadline alone must cut the attackers).
    func deadlineConfiguration() -> MetricsServerConfiguration {
        var configuration = testConfiguration()
        configuration.limits.requestTimeout = .seconds(1)
        configuration.limits.connectionTimeout = .seconds(600)
        return configuration
    }

    /// Moves the clock to one nanosecond before `deadline` (relative to now) and runs the reaper: nothing may be cut.
    /// Then moves it to the deadline and runs the reaper again: exactly `expected` more connections must be cut.
    func expectCutExactlyAt(
        _ deadline: Duration,
        expected: UInt64,
        server: MetricsServer,
        clock: ManualServerClock
    ) {
        let before = server.requestTimeouts
        clock.advance(by: deadline - .nanoseconds(1))
        server.enforceDeadlines()
        #expect(server.requestTimeouts == before, "cut before the deadline")
        clock.advance(by: .nanoseconds(1))
        server.enforceDeadlines()
        #expect(server.requestTimeouts == before + expected, "not cut at the deadline")
    }

    @Test("Malformed request lines are answered or dropped, never crash the server")
    func malformedRequests() async throws {
        let clock = ManualServerClock()
        let configuration = self.deadlineConfiguration()
        let allowance = configuration.limits.connectionTimeout + configuration.limits.requestTimeout
        try await withServer(configuration, clock: clock) { server, base in
            let port = try port(of: server)
            let garbage: [[UInt8]] = [
                Array("GARBAGE\r\n\r\n".utf8),
                Array("GET\r\n\r\n".utf8),
                Array("GET /metrics HTTP/9.9\r\n\r\n".utf8),
                Array("GET /metrics HTTP/1.1\r\nNo colon header\r\n\r\n".utf8),
                Array("GET /%00%ff HTTP/1.1\r\nHost: x\r\n\r\n".utf8),
                Array("\r\n\r\n\r\n".utf8),
                [0x16, 0x03, 0x01, 0x00, 0x05, 0x01, 0x00, 0x00, 0x01, 0x00],  // a TLS hello to an HTTP port
                [UInt8](repeating: 0, count: 2_048),
                (0..<4_096).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) },
            ]
            for bytes in garbage {
                let client = try RawClient(port: port)
                client.send(bytes)
                // A connection libmicrohttpd keeps open (waiting for more of a request, or kept alive after an
                // error answer) is cut by the deadlines: move the clock past any of them whenever it is quiet.
                let (reply, closed) = await client.readUntilClosed {
                    clock.advance(by: allowance)
                    server.enforceDeadlines()
                }
                let text = String(decoding: reply, as: UTF8.self)
                // Either an HTTP error status, or no answer and the connection closed.
                let status = reply.isEmpty ? 0 : Int(text.dropFirst(9).prefix(3)) ?? -1
                #expect(
                    (400..<600).contains(status) || (status == 0 && closed),
                    "\(bytes.prefix(16)) got \(text.prefix(40))"
                )
            }
            try await expectStillServes(base)
        }
    }

    @Test("Oversized request headers are refused within the connection memory limit")
    func oversizedHeaders() async throws {
        var configuration = testConfiguration()
        configuration.limits.connectionMemoryLimit = 16 * 1024
        try await withServer(configuration) { server, base in
            let client = try RawClient(port: try port(of: server))
            let huge = String(repeating: "x", count: 64 * 1024)
            client.send("GET /metrics HTTP/1.1\r\nHost: x\r\nX-Huge: \(huge)\r\n\r\n")
            let (reply, closed) = await client.readUntilClosed()
            #expect(closed)
            let status = String(decoding: reply.prefix(12), as: UTF8.self)
            #expect(status.hasPrefix("HTTP/1.1 4"), "got \(status)")
            // Many headers, each small.
            let many = try RawClient(port: try port(of: server))
            many.send("GET /metrics HTTP/1.1\r\nHost: x\r\n" + (0..<3_000).map { "H\($0): v\r\n" }.joined() + "\r\n")
            #expect(await many.readUntilClosed().closed)
            // The clock never moved: libmicrohttpd refused both itself, no deadline was involved.
            #expect(server.requestTimeouts == 0)
            try await expectStillServes(base)
        }
    }

    @Test("A slowloris client that never finishes its headers is cut off exactly at the request timeout")
    func slowloris() async throws {
        let clock = ManualServerClock()
        try await withServer(self.deadlineConfiguration(), clock: clock) { server, base in
            let client = try RawClient(port: try port(of: server))
            #expect(client.send("GET /metrics HTTP/1.1\r\nHost: localhost\r\n"))
            try #require(await eventually { server.trackedConnections == 1 }, "the connection was never accepted")
            // One header byte every 100 ms of server time: each resets libmicrohttpd's idle timer, not the deadline.
            for _ in 0..<9 {
                clock.advance(by: .milliseconds(100))
                server.enforceDeadlines()
                #expect(client.send("X"))
            }
            #expect(server.requestTimeouts == 0)
            self.expectCutExactlyAt(.milliseconds(100), expected: 1, server: server, clock: clock)
            #expect(await client.readUntilClosed().closed, "the slowloris connection was not closed")
            let metrics = try await httpRequest(base + "/metrics").text
            #expect(metrics.contains("metrics_exporter_request_timeouts_total 1\n"))
            try await expectStillServes(base)
        }
    }

    @Test("A client that connects and sends nothing is cut off at the request timeout")
    func silentClient() async throws {
        let clock = ManualServerClock()
        try await withServer(self.deadlineConfiguration(), clock: clock) { server, base in
            let client = try RawClient(port: try port(of: server))
            try #require(await eventually { server.trackedConnections == 1 }, "the connection was never accepted")
            self.expectCutExactlyAt(.seconds(1), expected: 1, server: server, clock: clock)
            #expect(await client.readUntilClosed().closed)
            try await expectStillServes(base)
        }
    }

    @Test("Keep-alive survives a scraper that comes back within the idle allowance; a trickled request is cut")
    func keepAliveThenTrickle() async throws {
        let clock = ManualServerClock()
        let configuration = self.deadlineConfiguration()
        try await withServer(configuration, clock: clock) { server, _ in
            let client = try RawClient(port: try port(of: server))
            let request = "GET /-/healthy HTTP/1.1\r\nHost: x\r\n\r\n"
            client.send(request)
            let first = await client.read(occurrences: 1, of: "\r\n\r\nOK\n")
            #expect(!first.closed && String(decoding: first.bytes, as: UTF8.self).hasPrefix("HTTP/1.1 200"))
            // The allowance starts when the server has recorded the completion, which may follow the client's read.
            try #require(await eventually { server.requestsInFlight == 0 })
            // The next request comes just within the allowance (idle timeout + request timeout) on the same
            // connection.
            clock.advance(by: configuration.limits.connectionTimeout)
            server.enforceDeadlines()
            client.send(request)
            let second = await client.read(occurrences: 1, of: "\r\n\r\nOK\n")
            #expect(!second.closed && String(decoding: second.bytes, as: UTF8.self).hasPrefix("HTTP/1.1 200"))
            try #require(await eventually { server.requestsInFlight == 0 })
            #expect(server.requestTimeouts == 0)
            // Then a third request trickles in: cut when the allowance after the second response runs out.
            client.send("GET /-/healthy HTTP/1.1\r\n")
            let allowance = configuration.limits.connectionTimeout + configuration.limits.requestTimeout
            self.expectCutExactlyAt(allowance, expected: 1, server: server, clock: clock)
            #expect(await client.readUntilClosed().closed)
        }
    }

    @Test("300 idle connections do not stop a scrape")
    func manyIdleConnections() async throws {
        var configuration = testConfiguration()
        configuration.limits.connectionLimit = 512
        configuration.limits.perIPConnectionLimit = nil
        // The server clock never moves, so no idle connection is cut while the test runs, however slowly.
        try await withServer(configuration) { server, base in
            let port = try port(of: server)
            var idle: [RawClient] = []
            for _ in 0..<300 { idle.append(try RawClient(port: port)) }
            try #require(await eventually { server.trackedConnections == 300 }, "\(server.trackedConnections) open")
            let response = try await httpRequest(base + "/metrics")
            #expect(response.status == 200)
            let count = sampleValue("metrics_exporter_open_connections", in: response.text) ?? 0
            #expect(count >= 300, "open connections: \(count)")
            idle.removeAll()
            try await expectStillServes(base)
        }
    }

    @Test(
        "A request body that keeps coming is refused and the connection closed",
        arguments: [("/metrics", "HTTP/1.1 405"), ("/upload", "HTTP/1.1 413")]
    )
    func endlessBody(path: String, status: String) async throws {
        let upload = PortableRoute.post("/upload", access: .public, bodyLimit: 1_024) { _ in .text("stored\n") }
        try await withServer(routes: [upload]) { server, base in
            let client = try RawClient(port: try port(of: server))
            client.send(
                "POST \(path) HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000000\r\n\r\n"
            )
            client.send([UInt8](repeating: 0x41, count: 65_536))
            let (reply, closed) = await client.readUntilClosed()
            #expect(closed)
            #expect(String(decoding: reply.prefix(12), as: UTF8.self) == status)
            try await expectStillServes(base)
        }
    }
}
