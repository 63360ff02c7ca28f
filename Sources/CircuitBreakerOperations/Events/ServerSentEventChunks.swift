import CircuitBreaker

/// The body of `GET /api/v1/events`: the bytes of `text/event-stream` for one reader, chunk by chunk.
///
/// The first chunk holds the `retry:` hint, a `gap` event if the replay asked for is incomplete, and the replayed
/// events; later chunks hold the events published since, or a heartbeat comment (`: keep-alive`) when nothing was
/// sent for ``BreakerOperations/Configuration-swift.struct/heartbeatInterval`` on the operations' clock (a manual
/// clock in tests), so that proxies and clients see the connection alive and a transport finds a client that stopped
/// reading. A reader dropped for falling behind gets the `dropped` event as its last chunk. The sequence ends when
/// the iterating task is cancelled (the transport does so when the client goes), and the reader is forgotten when
/// the iterator is released.
struct ServerSentEventChunks: AsyncSequence, Sendable {
    typealias Element = [UInt8]
    typealias Failure = Never

    let subscription: EventSubscription
    let clock: BreakerClock
    let heartbeatInterval: Duration

    func makeAsyncIterator() -> Iterator {
        Iterator(chunks: self)
    }

    struct Iterator: AsyncIteratorProtocol {
        private let chunks: ServerSentEventChunks
        private var started = false
        /// When a chunk was last handed out, on the clock's coarse scale.
        private var lastSent: Int64

        init(chunks: ServerSentEventChunks) {
            self.chunks = chunks
            self.lastSent = chunks.clock.coarseNanoseconds()
        }

        mutating func next() async -> [UInt8]? {
            let subscription = chunks.subscription
            while !Task.isCancelled {
                guard let events = subscription.take() else { return nil }
                var chunk: [UInt8] = []
                if !started {
                    started = true
                    chunk = ServerSentEvents.preamble
                }
                for event in events { ServerSentEvents.append(event, to: &chunk) }
                let now = chunks.clock.coarseNanoseconds()
                let quiet = Duration.nanoseconds(now &- lastSent)
                if chunk.isEmpty, quiet >= chunks.heartbeatInterval { chunk = ServerSentEvents.heartbeat }
                if !chunk.isEmpty {
                    lastSent = now
                    return chunk
                }
                await waitForEventsOrHeartbeat(after: chunks.heartbeatInterval - quiet)
            }
            subscription.cancel()
            return nil
        }

        /// Returns at the next publish, when `delay` has passed on the clock, or when the task is cancelled.
        private func waitForEventsOrHeartbeat(after delay: Duration) async {
            let subscription = chunks.subscription
            let clock = chunks.clock
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await subscription.waitForEvents() }
                group.addTask { try? await clock.sleep(for: delay) }
                _ = await group.next()
                group.cancelAll()
            }
        }
    }
}
