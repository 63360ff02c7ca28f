import Foundation
import MetricsExporter
import PortableRoutes
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Clients that send a request and then shut down their sending side, which HTTP/1.1 allows: each gets its whole
/// response, then the server closes the connection. The server clock never moves, so no deadline closes anything:
/// the server closes because it saw the client's end.
extension HostileClientTests {
    /// Sends `request` and half-closes.
    func halfClosedClient(port: UInt16, _ request: String) throws -> RawClient {
        let client = try RawClient(port: port)
        #expect(client.send(request))
        client.shutdownWrite()
        return client
    }

    /// Reads until the server closes; expects one complete response (its body as long as its `Content-Length`) with
    /// the status, and nothing after it.
    func expectCompleteThenClosed(_ client: RawClient, status: Int, _ what: String) async {
        let (bytes, closed) = await client.readUntilClosed()
        #expect(closed, "\(what): the connection stayed open")
        let text = String(decoding: bytes, as: UTF8.self)
        guard let headEnd = text.range(of: "\r\n\r\n") else {
            Issue.record("\(what): no response head in \(bytes.count) bytes")
            return
        }
        let head = parseHead(String(text[..<headEnd.lowerBound]), body: Data())
        #expect(head.status == status, "\(what): status \(head.status)")
        let bodyLength = bytes.count - text.utf8.distance(from: text.startIndex, to: headEnd.upperBound)
        #expect(head.headers["content-length"] == String(bodyLength), "\(what): body of \(bodyLength) bytes")
    }

    @Test("Half-closed requests get their whole response, on every route, and then the connection is closed")
    func halfClosedRequests() async throws {
        let source = RecordingSource()
        let echo = PortableRoute.get("/echo", access: .public) { request in .text("echo \(request.head.path ?? "")\n") }
        try await withServer(source: source.source, routes: [echo]) { server, _ in
            let port = try port(of: server)
            // Sixteen scrapes, half-closed: the first starts render 1, which is held, so the others wait for the next
            // render, suspended, and are answered when it is done.
            let scrape = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"
            var scrapes = [try self.halfClosedClient(port: port, scrape)]
            try #require(await eventually { source.renders == 1 }, "the first scrape never reached the source")
            for _ in 1..<16 { scrapes.append(try self.halfClosedClient(port: port, scrape)) }
            try #require(await eventually { server.waitingScrapes == 16 }, "\(server.waitingScrapes) waiting")
            source.gate.open()
            for (index, client) in scrapes.enumerated() {
                await self.expectCompleteThenClosed(client, status: 200, "scrape \(index)")
            }
            // Every other kind of answer: handlers, the landing page, the gate's refusals, HEAD.
            let others: [(String, Int)] = [
                ("GET /-/healthy HTTP/1.1\r\nHost: x\r\n\r\n", 200),
                ("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", 200),
                ("GET / HTTP/1.1\r\nHost: x\r\n\r\n", 200),
                ("GET /echo HTTP/1.1\r\nHost: x\r\n\r\n", 200),
                ("GET /no-such-page HTTP/1.1\r\nHost: x\r\n\r\n", 404),
                ("DELETE /metrics HTTP/1.1\r\nHost: x\r\n\r\n", 405),
            ]
            for (request, status) in others {
                let client = try self.halfClosedClient(port: port, request)
                await self.expectCompleteThenClosed(client, status: status, request.prefix { $0 != "\r" }.description)
            }
            let head = try self.halfClosedClient(port: port, "HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
            let (bytes, closed) = await head.readUntilClosed()
            let text = String(decoding: bytes, as: UTF8.self)
            #expect(closed && text.hasPrefix("HTTP/1.1 200") && text.hasSuffix("\r\n\r\n"), "HEAD: \(text.prefix(60))")
            #expect(server.requestTimeouts == 0)
        }
    }
}
