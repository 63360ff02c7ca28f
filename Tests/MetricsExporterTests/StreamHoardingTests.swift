import CircuitBreakerInternals
import Foundation
import Testing

@testable import MetricsExporter

#if canImport(Glibc)
    import Glibc
#endif

/// One client cannot hold every stream slot, nor keep a stream it does not read.
@Suite("Stream hoarders")
struct StreamHoardingTests {
    @Test("Streams are capped per address: one more is 429 (JSON under /api/), its producer let go; others pass")
    func perAddressCap() async throws {
        let hub = StreamHub()
        var configuration = testConfiguration()
        configuration.limits.streamsPerAddress = 2
        try await withServer(configuration, routes: [hub.route]) { server, base async throws -> Void in
            let port = try port(of: server)
            var held: [RawClient] = []
            for _ in 0..<2 {
                let client = try RawClient(port: port)
                client.send(ResponseStreamTests.request)
                #expect(await client.read(occurrences: 1, of: ": connected").bytes.isEmpty == false)
                held.append(client)
            }
            #expect(server.openStreams == 2)
            let refused = try await httpRequest(base + "/api/v1/events")
            #expect(refused.status == 429)
            #expect(refused.headers["retry-after"] == "5")
            #expect(CrossSiteGuardTests.code(refused) == "too_many_streams")
            // The refused response's chunks are never iterated, and its producer is let go.
            #expect(await eventually { hub.producersReleased == 1 })
            // Another address still gets a stream.
            let other = try RawClient(port: port, source: "127.0.0.2")
            other.send(ResponseStreamTests.request)
            let (bytes, _) = await other.read(occurrences: 1, of: ": connected")
            #expect(String(decoding: bytes, as: UTF8.self).hasPrefix("HTTP/1.1 200"))
            #expect(server.openStreams == 3)
            // A stream that ends frees its slot.
            held[0].shutdownWrite()
            held.removeFirst()
            #expect(await eventually { server.openStreams == 2 })
        }
    }

    @Test("A stream whose client stops reading is cut once its bytes sit unread for a request timeout")
    func nonReaderCut() async throws {
        let hub = StreamHub()
        let clock = ManualServerClock()
        var configuration = testConfiguration()
        configuration.limits.requestTimeout = .seconds(5)
        try await withServer(configuration, clock: clock, routes: [hub.route]) { server, _ async throws -> Void in
            let client = try RawClient(port: try port(of: server))
            // A small receive window, so what the client does not read stays in the server's socket.
            var size: Int32 = 4_096
            setsockopt(client.descriptor, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
            client.send(ResponseStreamTests.request)
            let stream = try #require(await hub.latest(in: server))
            // Enough that the client's window fills, little enough that the server's socket takes the rest: the
            // stream has nothing pending and waits, parked, for its producer, with no deadline running.
            #expect(stream.publish([UInt8](repeating: 0x3A, count: 48 * 1_024)) == .accepted)
            try #require(await eventually { stream.isParked })
            server.enforceDeadlines()
            #expect(stream.termination == nil)
            clock.advance(by: .seconds(4))
            server.enforceDeadlines()
            #expect(stream.termination == nil)
            clock.advance(by: .seconds(2))
            server.enforceDeadlines()
            #expect(await eventually { stream.termination == .timedOut })
            #expect(server.requestTimeouts == 1)
        }
    }

    @Test("A stream whose client reads is never cut, however long it waits for its producer")
    func quietReaderKept() async throws {
        let hub = StreamHub()
        let clock = ManualServerClock()
        try await withServer(testConfiguration(), clock: clock, routes: [hub.route]) { server, _ async throws -> Void in
            let client = try RawClient(port: try port(of: server))
            client.send(ResponseStreamTests.request)
            #expect(await client.read(occurrences: 1, of: ": connected").bytes.isEmpty == false)
            let stream = try #require(await hub.latest(in: server))
            try #require(await eventually { stream.isParked })
            for _ in 0..<5 {
                server.enforceDeadlines()
                clock.advance(by: .seconds(60))
            }
            server.enforceDeadlines()
            #expect(stream.termination == nil)
            #expect(stream.publish(": still here\n\n") == .accepted)
            #expect(await client.read(occurrences: 1, of: ": still here").bytes.isEmpty == false)
        }
    }
}
