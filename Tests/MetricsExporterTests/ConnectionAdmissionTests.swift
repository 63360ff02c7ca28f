import Foundation
import MetricsExporter
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Floods of idle connections and busy slots (see the exporter's `ConnectionAdmission`): the server clock never moves
/// in these tests, so no deadline frees a slot; only admission can.
extension HostileClientTests {
    /// One accepting thread, so that the server sees connections in the order the test opens them (the kernel's
    /// accept queue is first in, first out), and eviction order is exact.
    func admissionConfiguration(connectionLimit: Int, perAddress: Int? = nil) -> MetricsServerConfiguration {
        var configuration = testConfiguration()
        configuration.workerThreads = 1
        configuration.limits.connectionLimit = connectionLimit
        configuration.limits.perIPConnectionLimit = perAddress
        // libmicrohttpd's idle timer runs on the real clock: keep it out of reach of a slow run.
        configuration.limits.connectionTimeout = .seconds(600)
        return configuration
    }

    @Test("A flood of idle sockets from many addresses: a scrape and a health check from another one still succeed")
    func idleFloodFromManyAddresses() async throws {
        try await withServer(self.admissionConfiguration(connectionLimit: 40)) { server, base in
            let port = try port(of: server)
            // 60 silent sockets from six addresses, in turn, against a limit of 40.
            var flood: [RawClient] = []
            for index in 0..<60 { flood.append(try RawClient(port: port, source: "127.0.0.\(2 + index % 6)")) }
            try #require(
                await eventually { server.evictedConnections == 20 && server.trackedConnections == 40 },
                "\(server.evictedConnections) evicted, \(server.trackedConnections) open"
            )
            // The oldest gave way: each connection beyond the limit evicted the oldest of the addresses holding the
            // most, which with addresses in turn is the oldest of all.
            for client in flood[..<20] {
                let (bytes, closed) = await client.readUntilClosed()
                #expect(closed && bytes.isEmpty)
            }
            #expect(flood[20...].allSatisfy { $0.isQuietAndOpen })
            // The flood holds every slot; a scraper from 127.0.0.1 gets in at once, evicting the oldest socket.
            let scrape = try await httpRequest(base + "/metrics")
            #expect(scrape.status == 200)
            #expect(scrape.text.contains("demo_requests_total"))
            #expect(server.evictedConnections == 21)
            #expect(await flood[20].readUntilClosed().closed)
            // The flood takes the slot back (its scraper's connection gone first, so that it is not the idle
            // connection evicted next); a health check gets in the same way.
            try #require(await eventually { server.trackedConnections == 39 }, "\(server.trackedConnections) open")
            flood.append(try RawClient(port: port, source: "127.0.0.2"))
            try #require(await eventually { server.trackedConnections == 40 }, "\(server.trackedConnections) open")
            #expect(try await httpRequest(base + "/-/healthy").status == 200)
            #expect(server.evictedConnections == 22)
            #expect(await flood[21].readUntilClosed().closed)
            #expect(flood[22...].allSatisfy { $0.isQuietAndOpen })
            // The evictions are counted in the server's own metrics.
            try #require(await eventually { server.trackedConnections == 39 }, "\(server.trackedConnections) open")
            let metrics = try await httpRequest(base + "/metrics").text
            #expect(metrics.contains("metrics_exporter_evicted_connections_total 22\n"))
        }
    }

    @Test("Idle sockets beyond the per-address bound evict that address's oldest; a scraper sharing it gets in")
    func perAddressBound() async throws {
        try await withServer(self.admissionConfiguration(connectionLimit: 100, perAddress: 4)) { server, base in
            let port = try port(of: server)
            let neighbour = try RawClient(port: port, source: "127.0.0.10")
            var idle: [RawClient] = []
            for _ in 0..<4 { idle.append(try RawClient(port: port, source: "127.0.0.9")) }
            try #require(await eventually { server.trackedConnections == 5 }, "\(server.trackedConnections) open")
            #expect(server.evictedConnections == 0)
            // A scraper behind the same address (a NAT): never refused; the address's oldest idle socket gives way.
            let scraper = try RawClient(port: port, source: "127.0.0.9")
            let (bytes, closed) = await idle[0].readUntilClosed()
            #expect(closed && bytes.isEmpty)
            #expect(server.evictedConnections == 1)
            scraper.send("GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            let (answer, _) = await scraper.readUntilClosed()
            let text = String(decoding: answer, as: UTF8.self)
            #expect(text.hasPrefix("HTTP/1.1 200") && text.contains("demo_requests_total"))
            // Other addresses are not touched, nor the address's newer sockets.
            #expect(neighbour.isQuietAndOpen)
            #expect(idle[1...].allSatisfy { $0.isQuietAndOpen })
            try await expectStillServes(base)
        }
    }

    @Test("With every slot holding a request, a health check still gets through; other routes get 503 and a close")
    func reserveForHealthChecks() async throws {
        let source = RecordingSource(series: 1)
        try await withServer(self.admissionConfiguration(connectionLimit: 4), source: source.source) { server, _ in
            let port = try port(of: server)
            let request = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"
            // Four scrapes hold the four slots: render 1 is held, so they all wait for it, with nothing idle.
            var scrapes: [RawClient] = []
            for _ in 0..<4 {
                let client = try RawClient(port: port)
                client.send(request)
                scrapes.append(client)
            }
            try #require(await eventually { server.waitingScrapes == 4 }, "\(server.waitingScrapes) waiting")
            // Beyond the limit, with nothing to evict: the reserve takes the connection, for health checks only.
            let health = try RawClient(port: port)
            health.send("GET /-/healthy HTTP/1.1\r\nHost: x\r\n\r\n")
            let healthy = await health.read(occurrences: 1, of: "\r\n\r\nOK\n")
            #expect(String(decoding: healthy.bytes, as: UTF8.self).hasPrefix("HTTP/1.1 200"))
            // Kept alive, the health check's connection is idle now: the next connection evicts it, then finds
            // nothing idle and takes the reserve, where only public routes are served.
            try #require(await eventually { server.requestsInFlight == 4 }, "\(server.requestsInFlight) in flight")
            let other = try RawClient(port: port)
            other.send(request)
            let (refused, closed) = await other.readUntilClosed()
            let text = String(decoding: refused, as: UTF8.self)
            #expect(closed && text.hasPrefix("HTTP/1.1 503") && text.contains("Connection: close\r\n"), "\(text)")
            #expect(server.evictedConnections == 1)
            #expect(await health.readUntilClosed().closed)
            // The scrapes holding the slots were not disturbed.
            source.gate.open()
            for client in scrapes {
                let answer = await client.read(occurrences: 1, of: "metrics_exporter_build_info")
                #expect(String(decoding: answer.bytes, as: UTF8.self).hasPrefix("HTTP/1.1 200"))
            }
        }
    }
}
