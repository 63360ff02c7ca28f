import CircuitBreakerInternals
import Foundation
import MetricsExporter
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// An exposition source whose second render never finishes while the test holds its gate.
final class StuckSecondRender: Sendable {
    let gate = Gate()
    private let counts = Locked((started: 0, finished: 0))

    var started: Int { self.counts.withLock { $0.started } }
    var finished: Int { self.counts.withLock { $0.finished } }

    var source: ExpositionSource {
        { buffer in
            let number = self.counts.withLock { counts in
                counts.started += 1
                return counts.started
            }
            if number == 2 { self.gate.wait() }
            buffer.append(contentsOf: "stuck_render_number \(number)\n".utf8)
            self.counts.withLock { $0.finished += 1 }
        }
    }
}

extension HostileClientTests {
    @Test("Stopping during a render that never finishes: stop returns, waiting scrapes are answered, clients closed")
    func shutdownDuringStuckRender() async throws {
        let source = StuckSecondRender()
        var configuration = testConfiguration()
        // Real time, but short: the grace period passes with the render still stuck. Nothing here depends on how
        // long it takes; the test waits for events.
        configuration.shutdownGracePeriod = .milliseconds(100)
        let server = try startedServer(configuration, source: source.source)
        let port = try port(of: server)
        #expect(try await httpRequest("http://127.0.0.1:\(port)/metrics").text.hasPrefix("stuck_render_number 1\n"))
        // A keep-alive client between requests, and one whose scrape waits for render 2, which never finishes.
        let idle = try RawClient(port: port)
        idle.send("GET /-/healthy HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(await idle.read(occurrences: 1, of: "\r\n\r\nOK\n").closed == false)
        let waiting = try RawClient(port: port)
        waiting.send("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        try #require(await eventually { source.started == 2 && server.waitingScrapes == 1 }, "render 2 never began")

        await server.stop()

        // stop() returned with render 2 still stuck: it was abandoned, not waited for.
        #expect(!server.isRunning)
        #expect(source.finished == 1)
        // The idle keep-alive client was closed without a word; the waiting scrape got at most its 503, then the
        // close, never a stream of answers.
        let (idleBytes, idleClosed) = await idle.readUntilClosed()
        #expect(idleClosed && idleBytes.isEmpty)
        let (answer, closed) = await waiting.readUntilClosed()
        let text = String(decoding: answer, as: UTF8.self)
        #expect(closed)
        #expect(occurrencesOf(Array("HTTP/1.1 ".utf8), in: answer) <= 1, "\(text)")
        #expect(text.isEmpty || text.hasPrefix("HTTP/1.1 503"), "\(text.prefix(80))")
        // Let the abandoned render end; it touches nothing of the stopped server's connections.
        source.gate.open()
        #expect(await eventually { source.finished == 2 })
        // The server starts again, with a new render thread.
        try server.start()
        let again = try await httpRequest("http://\(try #require(server.boundAddress))/metrics")
        #expect(again.text.hasPrefix("stuck_render_number 3\n"))
        await server.stop()
    }
}
