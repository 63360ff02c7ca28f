import Foundation
import MetricsExporter
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite("Hostile clients")
struct HostileClientTests {
    /// A scrape after the attack still succeeds.
    func expectStillServes(_ base: String) async throws {
        let response = try await curlRequest(base + "/metrics")
        #expect(response.status == 200)
        #expect(response.text.contains("demo_requests_total"))
    }

    @Test("Malformed request lines are answered or dropped, never crash the server")
    func malformedRequests() async throws {
        var configuration = testConfiguration()
        configuration.limits.requestTimeout = .seconds(1)
        try await withServer(configuration) { server, base in
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
                let (reply, closed, _) = await client.readUntilClosed(timeout: .seconds(3))
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
            let (reply, closed, _) = await client.readUntilClosed(timeout: .seconds(5))
            #expect(closed)
            let status = String(decoding: reply.prefix(12), as: UTF8.self)
            #expect(status.hasPrefix("HTTP/1.1 4"), "got \(status)")
            // Many headers, each small.
            let many = try RawClient(port: try port(of: server))
            many.send("GET /metrics HTTP/1.1\r\nHost: x\r\n" + (0..<3_000).map { "H\($0): v\r\n" }.joined() + "\r\n")
            #expect(await many.readUntilClosed(timeout: .seconds(5)).closed)
            try await expectStillServes(base)
        }
    }

    @Test("A slowloris client that never finishes its headers is cut off by the request timeout")
    func slowloris() async throws {
        var configuration = testConfiguration()
        configuration.limits.requestTimeout = .seconds(1)
        configuration.limits.connectionTimeout = .seconds(30)  // the idle timer alone would never fire
        try await withServer(configuration) { server, base in
            let client = try RawClient(port: try port(of: server))
            #expect(client.send("GET /metrics HTTP/1.1\r\nHost: localhost\r\n"))
            // One header byte every 100 ms, for at most 5 s.
            let (closed, elapsed) = await client.trickle(every: .milliseconds(100), for: .seconds(5))
            #expect(closed, "the slowloris connection was not closed")
            #expect(elapsed < .seconds(3), "closed after \(elapsed)")
            #expect(elapsed > .milliseconds(600), "closed too early, after \(elapsed)")
            let metrics = try await curlRequest(base + "/metrics").text
            #expect(metrics.contains("metrics_exporter_request_timeouts_total 1\n"))
            try await expectStillServes(base)
        }
    }

    @Test("A client that connects and sends nothing is cut off too")
    func silentClient() async throws {
        var configuration = testConfiguration()
        configuration.limits.requestTimeout = .seconds(1)
        configuration.limits.connectionTimeout = .seconds(30)
        try await withServer(configuration) { server, base in
            let client = try RawClient(port: try port(of: server))
            let result = await client.readUntilClosed(timeout: .seconds(5))
            #expect(result.closed)
            #expect(result.elapsed < .seconds(3), "closed after \(result.elapsed)")
            try await expectStillServes(base)
        }
    }

    @Test("Keep-alive survives a slow-but-honest scraper; a trickled second request is cut")
    func keepAliveThenTrickle() async throws {
        var configuration = testConfiguration()
        configuration.limits.requestTimeout = .seconds(1)
        configuration.limits.connectionTimeout = .seconds(1)
        try await withServer(configuration) { server, _ in
            let client = try RawClient(port: try port(of: server))
            client.send("GET /-/healthy HTTP/1.1\r\nHost: x\r\n\r\n")
            try await Task.sleep(for: .milliseconds(300))
            client.send("GET /-/healthy HTTP/1.1\r\nHost: x\r\n\r\n")
            // Then trickle a third request: cut within idle + request timeouts (2 s) plus slack.
            client.send("GET /-/healthy HTTP/1.1\r\n")
            let (closed, elapsed) = await client.trickle(every: .milliseconds(100), for: .seconds(5))
            #expect(closed)
            #expect(elapsed < .seconds(3), "closed after \(elapsed)")
        }
    }

    @Test("300 idle connections do not stop a scrape")
    func manyIdleConnections() async throws {
        var configuration = testConfiguration()
        configuration.limits.connectionLimit = 512
        configuration.limits.perIPConnectionLimit = nil
        try await withServer(configuration) { server, base in
            let port = try port(of: server)
            var idle: [RawClient] = []
            for _ in 0..<300 { idle.append(try RawClient(port: port)) }
            let response = try await curlRequest(base + "/metrics")
            #expect(response.status == 200)
            #expect(response.text.contains("metrics_exporter_open_connections "))
            let open = response.text.split(separator: "\n").first { $0.hasPrefix("metrics_exporter_open_connections ") }
            let count = open.flatMap { Int($0.split(separator: " ").last ?? "") } ?? 0
            #expect(count >= 250, "open connections: \(count)")
            idle.removeAll()
            try await expectStillServes(base)
        }
    }

    @Test("Silent connections filling the connection limit delay a scrape by at most the request timeout")
    func connectionLimit() async throws {
        var configuration = testConfiguration()
        configuration.workerThreads = 1
        configuration.limits.connectionLimit = 20
        configuration.limits.perIPConnectionLimit = nil
        configuration.limits.requestTimeout = .seconds(1)
        try await withServer(configuration) { server, base in
            let port = try port(of: server)
            // The attacker holds every slot and never sends a byte (nor closes).
            var idle: [RawClient] = []
            for _ in 0..<20 { idle.append(try RawClient(port: port)) }
            try await Task.sleep(for: .milliseconds(100))
            // The scrape waits in the listen backlog until the request timeout frees the slots.
            let start = ContinuousClock.now
            let response = try await curlRequest(base + "/metrics")
            #expect(response.status == 200)
            #expect(ContinuousClock.now - start < .seconds(4))
            var closedCount = 0
            for client in idle where await client.isClosedByPeer(waiting: .milliseconds(500)) { closedCount += 1 }
            #expect(closedCount == idle.count)
        }
    }

    @Test("The per-IP limit closes extra connections from one address")
    func perIPLimit() async throws {
        var configuration = testConfiguration()
        configuration.limits.perIPConnectionLimit = 4
        try await withServer(configuration) { server, base in
            let port = try port(of: server)
            var idle: [RawClient] = []
            for _ in 0..<4 { idle.append(try RawClient(port: port)) }
            try await Task.sleep(for: .milliseconds(200))
            let extra = try RawClient(port: port)
            #expect(await extra.readUntilClosed(timeout: .seconds(3)).closed)
            idle.removeAll()
            try await Task.sleep(for: .milliseconds(200))
            try await expectStillServes(base)
        }
    }

    @Test("A request body that keeps coming is refused and the connection closed")
    func endlessBody() async throws {
        try await withServer { server, base in
            let client = try RawClient(port: try port(of: server))
            client.send("POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\n")
            client.send([UInt8](repeating: 0x41, count: 65_536))
            let (reply, closed, _) = await client.readUntilClosed(timeout: .seconds(5))
            #expect(closed)
            #expect(String(decoding: reply.prefix(12), as: UTF8.self) == "HTTP/1.1 413")
            try await expectStillServes(base)
        }
    }
}
