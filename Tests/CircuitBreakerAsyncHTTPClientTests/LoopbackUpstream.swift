#if AsyncHTTPClientSupport
    import AsyncHTTPClient
    import CircuitBreakerInternals
    import NIOCore
    import NIOHTTP1
    import NIOPosix

    /// What a ``LoopbackUpstream`` answers to a request.
    enum UpstreamReply: Sendable {
        /// A response with this status, these headers and this body (its length is set).
        case respond(HTTPResponseStatus, headers: HTTPHeaders = [:], body: String = "")
        /// No response at all: the connection stays open until the client gives up or the upstream stops.
        case hang
    }

    /// What an upstream's handlers share: the replies by path, and the requests received.
    struct UpstreamState: Sendable {
        var replies: [String: UpstreamReply] = [:]
        var fallback: UpstreamReply
        var requests: [String: Int] = [:]
        var lastHeaders: HTTPHeaders = [:]
    }

    /// A real HTTP/1.1 server on 127.0.0.1 and a port of its own, built on SwiftNIO: the upstream hosts of the tests.
    /// It counts the requests it receives by path, so a test can see that a rejected request never reached it.
    final class LoopbackUpstream: Sendable {
        private let state: Locked<UpstreamState>
        private let group: MultiThreadedEventLoopGroup
        private let channel: any Channel
        /// The port it listens on.
        let port: Int

        private init(state: Locked<UpstreamState>, group: MultiThreadedEventLoopGroup, channel: any Channel, port: Int)
        {
            self.state = state
            self.group = group
            self.channel = channel
            self.port = port
        }

        /// Starts an upstream that answers `fallback` to every path without a reply of its own.
        static func start(replying fallback: UpstreamReply = .respond(.ok)) async throws -> LoopbackUpstream {
            let state = Locked(UpstreamState(fallback: fallback))
            let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
            do {
                let channel = try await ServerBootstrap(group: group)
                    .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                    .childChannelInitializer { channel in
                        channel.eventLoop.makeCompletedFuture {
                            try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                            try channel.pipeline.syncOperations.addHandler(UpstreamHandler(state: state))
                        }
                    }
                    .bind(host: "127.0.0.1", port: 0)
                    .get()
                guard let port = channel.localAddress?.port else {
                    try await channel.close()
                    throw UpstreamStartError()
                }
                return LoopbackUpstream(state: state, group: group, channel: channel, port: port)
            } catch {
                try? await group.shutdownGracefully()
                throw error
            }
        }

        /// `http://127.0.0.1:<port>`.
        var baseURL: String { "http://127.0.0.1:\(port)" }

        /// The origin key of this upstream: `http://127.0.0.1:<port>`.
        var originKey: String { "http://127.0.0.1:\(port)" }

        /// Answers `reply` to `path` from now on.
        func reply(_ reply: UpstreamReply, to path: String) {
            state.withLock { $0.replies[path] = reply }
        }

        /// Answers `reply` to every path without a reply of its own, from now on.
        func replyToAll(_ reply: UpstreamReply) {
            state.withLock { $0.fallback = reply }
        }

        /// Requests received for `path` (every request is counted when its head arrives).
        func requests(to path: String) -> Int {
            state.withLock { $0.requests[path, default: 0] }
        }

        /// Requests received for any path.
        var totalRequests: Int {
            state.withLock { $0.requests.values.reduce(0, +) }
        }

        /// The headers of the last request received.
        var lastHeaders: HTTPHeaders {
            state.withLock { $0.lastHeaders }
        }

        /// Closes the listening socket and every connection, and stops the server's thread.
        func stop() async throws {
            try? await channel.close()
            try await group.shutdownGracefully()
        }
    }

    struct UpstreamStartError: Error {}

    /// Answers each request of one connection as the upstream's state says.
    final class UpstreamHandler: ChannelInboundHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart

        private let state: Locked<UpstreamState>
        private var reply: UpstreamReply = .hang

        init(state: Locked<UpstreamState>) {
            self.state = state
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head):
                let path = String(head.uri.prefix { $0 != "?" })
                reply = state.withLock { state in
                    state.requests[path, default: 0] += 1
                    state.lastHeaders = head.headers
                    return state.replies[path] ?? state.fallback
                }
            case .body:
                break
            case .end:
                guard case .respond(let status, var headers, let body) = reply else { return }
                headers.replaceOrAdd(name: "content-length", value: String(body.utf8.count))
                let head = HTTPResponseHead(version: .http1_1, status: status, headers: headers)
                context.write(wrapOutboundOut(.head(head)), promise: nil)
                context.write(
                    wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: body)))),
                    promise: nil
                )
                context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            }
        }
    }

    /// Starts `count` upstreams and an `HTTPClient`, runs `body`, then shuts the client and every upstream down,
    /// whether `body` threw or not.
    func withUpstreams(
        _ count: Int = 1,
        clientConfiguration: HTTPClient.Configuration = HTTPClient.Configuration(),
        _ body: ([LoopbackUpstream], HTTPClient) async throws -> Void
    ) async throws {
        var upstreams: [LoopbackUpstream] = []
        let client = HTTPClient(
            eventLoopGroup: MultiThreadedEventLoopGroup.singleton,
            configuration: clientConfiguration
        )
        var failure: (any Error)?
        do {
            for _ in 0..<count { upstreams.append(try await LoopbackUpstream.start()) }
            try await body(upstreams, client)
        } catch {
            failure = error
        }
        try? await client.shutdown()
        for upstream in upstreams { try? await upstream.stop() }
        if let failure { throw failure }
    }
#endif
