import CircuitBreaker
import CircuitBreakerInternals
import Foundation
import Logging
import MetricsExporter
import Testing

@testable import CircuitBreakerOperations

#if canImport(Glibc)
import Glibc
#endif

/// A blocking loopback client for the event stream (reads on its own thread, bounded by a hang guard).
// Safety (@unchecked Sendable): the descriptor never changes, and one test drives one client at a time.
final class StreamClient: @unchecked Sendable {
    let descriptor: Int32
    private let received = Locked<[UInt8]>([])

    init(port: UInt16, receiveBuffer: Int32? = nil) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        if var size = receiveBuffer {
            setsockopt(descriptor, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 else {
            close(descriptor)
            throw POSIXError(.ECONNREFUSED)
        }
    }

    deinit { close(descriptor) }

    func send(_ text: String) {
        _ = Array(text.utf8).withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    /// Reads until what was received holds `marker` `count` times, or the peer closes; false after the hang guard
    /// (30 s: a bound on a hang, never a speed requirement).
    func read(until marker: String, count: Int = 1) async -> Bool {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(returning: self.readBlocking(until: Array(marker.utf8), count: count))
            }
        }
    }

    var text: String { String(decoding: received.withLock { $0 }, as: UTF8.self) }

    private func readBlocking(until marker: [UInt8], count: Int) -> Bool {
        let deadline = ContinuousClock.now + .seconds(30)
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while ContinuousClock.now < deadline {
            if occurrences(of: marker) >= count { return true }
            var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 50) > 0 else { continue }
            let read = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if read <= 0 { return occurrences(of: marker) >= count }
            received.withLock { $0.append(contentsOf: buffer[0..<read]) }
        }
        return false
    }

    func occurrences(of marker: String) -> Int { occurrences(of: Array(marker.utf8)) }

    private func occurrences(of marker: [UInt8]) -> Int {
        let bytes = received.withLock { $0 }
        guard !marker.isEmpty, bytes.count >= marker.count else { return 0 }
        var found = 0
        var index = 0
        while index <= bytes.count - marker.count {
            if bytes[index..<(index + marker.count)].elementsEqual(marker) {
                found += 1
                index += marker.count
            } else {
                index += 1
            }
        }
        return found
    }
}

/// The event stream over the exporter: heartbeats on the injected clock, a replay larger than the stream's buffer,
/// and the `dropped` event for a client that does not keep up.
@Suite("Event stream on the exporter")
struct EventStreamTransportTests {
    /// Runs `body` with a fixture served by a started exporter on loopback, and its port.
    func withServed(
        _ configuration: BreakerOperations.Configuration,
        clock: ManualClock = ManualClock(),
        _ body: (Fixture, UInt16) async throws -> Void
    ) async throws {
        let fixture = Fixture(configuration: configuration, clock: clock)
        let server = MetricsServer(
            configuration: .loopback(),
            logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }),
            exposition: ExpositionSources(text: { _ in }),
            routes: fixture.operations.routes(for: fixture.registry)
        )
        try server.start()
        do {
            try await body(fixture, try #require(server.boundAddress?.port))
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }

    static let request = "GET /api/v1/events HTTP/1.1\r\nHost: x\r\n\r\n"

    @Test("A heartbeat comment after each heartbeatInterval of silence, on the operations' clock")
    func heartbeat() async throws {
        let clock = ManualClock()
        try await withServed(.init(heartbeatInterval: .seconds(15)), clock: clock) { fixture, port in
            let client = try StreamClient(port: port)
            client.send(Self.request)
            #expect(await client.read(until: "retry: 2000"))
            #expect(client.occurrences(of: ": keep-alive") == 0)
            // The stream sleeps on the clock until its heartbeat is due; advancing by less sends nothing.
            await clock.waitForSleepers(1)
            clock.advance(by: .seconds(14))
            await clock.waitForSleepers(1)
            #expect(client.occurrences(of: ": keep-alive") == 0)
            clock.advance(by: .seconds(1))
            #expect(await client.read(until: ": keep-alive"))
            await clock.waitForSleepers(1)
            clock.advance(by: .seconds(15))
            #expect(await client.read(until: ": keep-alive", count: 2))
            // An event resets the silence: it arrives, and the stream goes on.
            _ = try fixture.breaker("payments")
            #expect(fixture.postOverride("payments", #"{"action":"disable","reason":"x","ttl":"5m"}"#).status == 200)
            #expect(await client.read(until: "event: override_applied"))
            #expect(fixture.operations.hub.connectedClients == 1)
        }
    }

    @Test("A replay larger than the stream's buffer is sent whole, after the gap notice; the client stays")
    func replayTooLarge() async throws {
        try await withServed(.init(clientQueueCapacity: 2)) { fixture, port in
            // One event larger than the exporter's stream buffer (64 KiB).
            let long = String(repeating: "l", count: 70_000)
            _ = try fixture.breaker(long)
            #expect(fixture.postOverride(long, #"{"action":"disable","reason":"x","ttl":"5m"}"#).status == 200)
            let client = try StreamClient(port: port)
            client.send("GET /api/v1/events HTTP/1.1\r\nHost: x\r\nLast-Event-ID: 1\r\n\r\n")
            #expect(await client.read(until: "event: gap"))
            #expect(await client.read(until: #"event: override_applied"#))
            _ = try fixture.breaker("short")
            #expect(fixture.postOverride("short", #"{"action":"disable","reason":"x","ttl":"5m"}"#).status == 200)
            #expect(await client.read(until: #""breaker":"short""#))
            // Every byte of the long name arrived (split into chunks of the transfer encoding on the way).
            #expect(client.occurrences(of: "l") >= long.count)
            #expect(!client.text.contains("event: dropped"))
            #expect(fixture.operations.droppedEventClients == 0)
        }
    }

    @Test("A client that does not read is dropped with the dropped event as its last words")
    func droppedWhenFull() async throws {
        try await withServed(.init(clientQueueCapacity: 8)) { fixture, port in
            let client = try StreamClient(port: port, receiveBuffer: 4_096)
            client.send(Self.request)
            try #require(await eventually { fixture.operations.hub.connectedClients == 1 })
            let reason = String(repeating: "r", count: 400)
            // Events until the client is dropped: the kernel's buffers fill, then the stream's buffer, and the stream
            // stops taking events, so the client's queue of 8 events fills.
            var published = 0
            while fixture.operations.droppedEventClients == 0, published < 20_000 {
                fixture.operations.hub.publish { id in
                    OperationsEvent(id: id, kind: .reset, breaker: reason, timestamp: 1)
                }
                published += 1
            }
            #expect(fixture.operations.droppedEventClients == 1, "after \(published) events")
            // The response ends (its last chunk) once the client has read what was queued.
            #expect(await client.read(until: "\r\n0\r\n\r\n"))
            #expect(
                client.text.hasSuffix("event: dropped\ndata: {\"reason\":\"client too slow: its queue was full\"}\n\n\r\n0\r\n\r\n"),
                "\(client.text.suffix(200).debugDescription)"
            )
        }
    }
}

/// Waits until `condition` holds, polling; false after 30 s (a bound on a hang, never a speed requirement).
func eventually(_ condition: () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + .seconds(30)
    while !condition() {
        if ContinuousClock.now >= deadline { return false }
        try? await Task.sleep(for: .milliseconds(2))
    }
    return true
}
