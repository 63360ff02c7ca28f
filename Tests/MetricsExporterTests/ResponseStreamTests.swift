import CircuitBreakerInternals
import Foundation
@testable import MetricsExporter
import Testing

/// A route whose responses are chunk feeds the test controls, and a watch on the server's side of each stream.
///
/// Each response starts with `: connected` and then waits for chunks a test yields (``feed``); the tests reach the
/// server's buffer of a stream (``latest(in:)``) to publish to it directly, and see how it ends (``ended``) and
/// whether the server let the producer go (``producersReleased``).
final class StreamHub: Sendable {
    private let feeds = Locked<[AsyncStream<[UInt8]>.Continuation]>([])
    private let released = Locked(0)
    private let terminations = Locked<[ResponseStream.Termination]>([])
    private let watched = Locked<Set<ObjectIdentifier>>([])

    var route: PortableRoute {
        .get("/api/v1/events", access: .public) { _ in
            let (chunks, feed) = AsyncStream.makeStream(of: [UInt8].self)
            feed.onTermination = { _ in self.released.withLock { $0 += 1 } }
            feed.yield(Array(": connected\n\n".utf8))
            self.feeds.withLock { $0.append(feed) }
            return .eventStream(ResponseChunks(chunks))
        }
    }

    /// The feed of the latest response.
    var feed: AsyncStream<[UInt8]>.Continuation? { self.feeds.withLock { $0.last } }
    /// Responses made so far.
    var count: Int { self.feeds.withLock { $0.count } }
    /// How the watched streams ended, in order.
    var ended: [ResponseStream.Termination] { self.terminations.withLock { $0 } }
    /// Producers the server let go (their sequence was cancelled, finished or released).
    var producersReleased: Int { self.released.withLock { $0 } }

    /// The server's buffer of the one open stream (waiting for it to open), watched for its end.
    func latest(in server: MetricsServer) async -> ResponseStream? {
        guard await eventually({ server.openStreamBuffers.count == 1 }) else { return nil }
        guard let stream = server.openStreamBuffers.first else { return nil }
        if self.watched.withLock({ $0.insert(ObjectIdentifier(stream)).inserted }) {
            stream.onTermination { reason in self.terminations.withLock { $0.append(reason) } }
        }
        return stream
    }
}

@Suite("Response streams")
struct ResponseStreamTests {
    static let request = "GET /api/v1/events HTTP/1.1\r\nHost: x\r\n\r\n"

    @Test("A stream without a server: bounded, all or nothing, finished streams refuse")
    func bounded() {
        let stream = ResponseStream(capacity: 8)
        #expect(stream.publish("12345") == .accepted)
        #expect(stream.publish("6789") == .full)
        #expect(stream.publish("678") == .accepted)
        var buffer = [UInt8](repeating: 0, count: 5)
        #expect(buffer.withUnsafeMutableBytes { stream.pull(into: $0) } == .bytes(5))
        #expect(stream.publish("abcde") == .accepted)
        #expect(stream.publish("f") == .full)
        stream.finish()
        #expect(stream.publish("x") == .closed)
        var rest = [UInt8](repeating: 0, count: 16)
        #expect(rest.withUnsafeMutableBytes { stream.pull(into: $0) } == .bytes(8))
        #expect(String(decoding: rest.prefix(8), as: UTF8.self) == "678abcde")
        #expect(rest.withUnsafeMutableBytes { stream.pull(into: $0) } == .end)
        #expect(stream.termination == nil)
        stream.terminate(completed: true)
        #expect(stream.termination == .finished)
        let reported = Locked<ResponseStream.Termination?>(nil)
        stream.onTermination { reason in reported.withLock { $0 = reason } }
        #expect(reported.withLock { $0 } == .finished)
    }

    @Test("Server-Sent Events: published events arrive as they are published; finish ends the response")
    func events() async throws {
        let hub = StreamHub()
        try await withServer(routes: [hub.route]) { server, _ in
            let client = try RawClient(port: try port(of: server))
            client.send(Self.request)
            let head = await client.read(occurrences: 1, of: ": connected\n\n")
            let text = String(decoding: head.bytes, as: UTF8.self)
            #expect(text.hasPrefix("HTTP/1.1 200"))
            #expect(text.contains("Content-Type: text/event-stream\r\n"))
            #expect(text.contains("Transfer-Encoding: chunked\r\n"))
            let stream = try #require(await hub.latest(in: server))
            try #require(await eventually { stream.isParked }, "the server never waited for the producer")
            #expect(stream.publish("id: 1\nevent: transition\ndata: {\"to\":\"open\"}\n\n") == .accepted)
            let first = await client.read(occurrences: 1, of: "data: {\"to\":\"open\"}\n\n")
            #expect(!first.closed)
            stream.finish()
            let (rest, closedOrDone) = await client.read(occurrences: 1, of: "\r\n0\r\n\r\n")
            #expect(String(decoding: rest, as: UTF8.self).hasSuffix("\r\n0\r\n\r\n") || closedOrDone)
            #expect(await eventually { hub.ended == [.finished] }, "\(hub.ended)")
            #expect(stream.publish("late") == .closed)
            // The response is over: the server cancelled the producer's task, which let its sequence go.
            #expect(await eventually { hub.producersReleased == 1 })
        }
    }

    @Test("A quiet stream outlives the request deadline; a client that goes away is noticed by the reaper")
    func quietStreamAndClientGone() async throws {
        let hub = StreamHub()
        let clock = ManualServerClock()
        var configuration = testConfiguration()
        configuration.limits.requestTimeout = .seconds(1)
        try await withServer(configuration, clock: clock, routes: [hub.route]) { server, _ in
            var client: RawClient? = try RawClient(port: try port(of: server))
            client?.send(Self.request)
            _ = await client?.read(occurrences: 1, of: ": connected\n\n")
            let stream = try #require(await hub.latest(in: server))
            try #require(await eventually { stream.isParked })
            // Waiting for the producer is not the client's fault: an hour of server time cuts nothing.
            clock.advance(by: .seconds(3_600))
            server.enforceDeadlines()
            #expect(server.requestTimeouts == 0)
            #expect(stream.publish("data: still here\n\n") == .accepted)
            let alive = await client?.read(occurrences: 1, of: "still here")
            #expect(alive?.closed == false)
            try #require(await eventually { stream.isParked })
            // The client leaves while the stream is quiet; the reaper's next pass tells the producer.
            client = nil
            let noticed = await eventually {
                server.enforceDeadlines()
                return hub.ended == [.clientGone]
            }
            #expect(noticed, "\(hub.ended)")
            #expect(stream.publish("data: gone\n\n") == .closed)
            #expect(await eventually { hub.producersReleased == 1 })
            #expect(server.requestTimeouts == 0)
        }
    }

    @Test("A client that stops reading while bytes wait is cut at the request timeout after the last hand-over")
    func slowReader() async throws {
        let hub = StreamHub()
        let clock = ManualServerClock()
        var configuration = testConfiguration()
        configuration.limits.requestTimeout = .seconds(1)
        try await withServer(configuration, clock: clock, routes: [hub.route]) { server, _ in
            let client = try RawClient(port: try port(of: server))
            client.send(Self.request)
            let stream = try #require(await hub.latest(in: server))
            // Publish until the client's socket buffers are full and the stream holds bytes it cannot hand over: the
            // stream stays full and the server pulls nothing for half a second of real time. (A real-time wait, as
            // only a precondition: a server thread that runs at all pulls within milliseconds, even on a machine
            // ten times slower; every hand-over so far armed the deadline at the clock's one reading.)
            var stalled = 0
            var handOffs = -1
            let limit = ContinuousClock.now + hangGuard
            while stalled < 50, ContinuousClock.now < limit {
                let filled = Self.fill(stream)
                stalled = filled && stream.handOffs == handOffs ? stalled + 1 : 0
                handOffs = stream.handOffs
                try await Task.sleep(for: .milliseconds(10))
            }
            try #require(stalled >= 50, "the stream never stalled")
            let before = server.requestTimeouts
            clock.advance(by: .seconds(1) - .nanoseconds(1))
            server.enforceDeadlines()
            #expect(server.requestTimeouts == before, "cut before the deadline")
            clock.advance(by: .nanoseconds(1))
            server.enforceDeadlines()
            #expect(server.requestTimeouts == before + 1)
            #expect(await eventually { hub.ended == [.timedOut] }, "\(hub.ended)")
            #expect(client.descriptor >= 0)  // the client kept its socket open, unread, all along
        }
    }

    /// Publishes until the stream refuses a chunk; whether it is then full and not waiting for the producer.
    private static func fill(_ stream: ResponseStream) -> Bool {
        let chunk = [UInt8](repeating: UInt8(ascii: "x"), count: 64 * 1024)
        while stream.publish(chunk) == .accepted {}
        return !stream.isParked && stream.publish(chunk) == .full
    }

    @Test("Stopping the server ends streams: queued bytes are sent, then the end")
    func stopEndsStreams() async throws {
        let hub = StreamHub()
        let server = MetricsServer(
            configuration: testConfiguration(),
            logger: quietLogger,
            clock: ManualServerClock(),
            exposition: ExpositionSources(text: sampleExposition),
            routes: [hub.route]
        )
        try server.start()
        let client = try RawClient(port: try port(of: server))
        client.send(Self.request)
        _ = await client.read(occurrences: 1, of: ": connected\n\n")
        let stream = try #require(await hub.latest(in: server))
        #expect(stream.publish("data: last words\n\n") == .accepted)
        await server.stop()
        let (bytes, closed) = await client.readUntilClosed()
        #expect(closed)
        #expect(String(decoding: bytes, as: UTF8.self).contains("last words"))
        #expect(hub.ended == [.serverStopping])
        #expect(await eventually { hub.producersReleased == 1 })
    }

    @Test("Chunks reach the client as the producer yields them; the producer's end ends the response")
    func producerChunks() async throws {
        let hub = StreamHub()
        try await withServer(routes: [hub.route]) { server, _ in
            let client = try RawClient(port: try port(of: server))
            client.send(Self.request)
            _ = await client.read(occurrences: 1, of: ": connected\n\n")
            let feed = try #require(hub.feed)
            feed.yield(Array("data: one\n\n".utf8))
            feed.yield(Array("data: two\n\n".utf8))
            let both = await client.read(occurrences: 1, of: "data: two\n\n")
            #expect(String(decoding: both.bytes, as: UTF8.self).contains("data: one\n\n"))
            feed.finish()
            let (rest, closedOrDone) = await client.read(occurrences: 1, of: "\r\n0\r\n\r\n")
            #expect(String(decoding: rest, as: UTF8.self).hasSuffix("\r\n0\r\n\r\n") || closedOrDone)
            #expect(await eventually { server.openStreams == 0 })
        }
    }

    @Test("A full stream holds its producer back: write waits for room, and returns false once the stream ends")
    func backpressure() async throws {
        let stream = ResponseStream(capacity: 8)
        #expect(await stream.write(Array("12345678".utf8)))
        let written = Task { await stream.write(Array("9".utf8)) }
        var buffer = [UInt8](repeating: 0, count: 4)
        // The producer waits until the client has taken some bytes.
        try #require(await eventually { stream.isProducerWaiting })
        #expect(buffer.withUnsafeMutableBytes { stream.pull(into: $0) } == .bytes(4))
        #expect(await written.value)
        // A chunk larger than the capacity goes once the stream is empty, never wedging its producer.
        var rest = [UInt8](repeating: 0, count: 16)
        #expect(rest.withUnsafeMutableBytes { stream.pull(into: $0) } == .bytes(5))
        #expect(await stream.write([UInt8](repeating: 0x78, count: 64)))
        let blocked = Task { await stream.write(Array("late".utf8)) }
        try #require(await eventually { stream.isProducerWaiting })
        stream.terminate(completed: false)
        #expect(await blocked.value == false)
    }
}
