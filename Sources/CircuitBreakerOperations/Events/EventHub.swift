import CircuitBreakerInternals

/// The event stream's fan-out: a bounded replay buffer of the latest events, and the clients reading them.
///
/// Publishing never waits for a client. Each client reads through its own cursor into the buffer; the events
/// between its cursor and the newest event are its queue, bounded by ``Limits-swift.struct/clientQueueCapacity``.
/// A client whose queue would grow past that is dropped (told so, and counted in ``droppedClients``), so a slow
/// reader costs a breaker one lock and a loop over the clients, never a wait. Events are encoded by the readers, on
/// their own threads, not by the breaker's thread that publishes them.
///
/// Event ids increase by one per event. The first id is the wall-clock time in microseconds when the hub was made,
/// so ids keep increasing across restarts of the process (as long as it publishes fewer than a million events a
/// second), and a `Last-Event-ID` from before a restart is recognised as older than the buffer: the client gets a
/// `gap` event telling it to reload the status.
final class EventHub: Sendable {
    /// The bounds of the hub.
    struct Limits: Sendable, Hashable {
        /// How many of the latest events are kept for clients that reconnect with `Last-Event-ID`.
        var replayCapacity: Int
        /// How many events a client may fall behind before it is dropped.
        var clientQueueCapacity: Int
        /// How many clients may read at once.
        var maximumClients: Int
    }

    private struct Client {
        /// The id of the next event the client reads.
        var cursor: UInt64
        var dropped = false
        /// Called after each publish, outside the hub's lock, by a transport that pushes (see
        /// ``EventStreamBridge``); `nil` for a transport that waits.
        var wake: (@Sendable () -> Void)?
    }

    private struct State {
        let firstID: UInt64
        var nextID: UInt64
        var ring: [OperationsEvent?]
        var clients: [Int: Client] = [:]
        var nextClient = 0
        var droppedClients = 0

        /// The id of the oldest event still in the buffer (`nextID` when it is empty).
        var oldestID: UInt64 {
            nextID - min(nextID - firstID, UInt64(ring.count))
        }
    }

    let limits: Limits
    private let state: Locked<State>

    /// Creates a hub whose first event gets the id `firstID`.
    init(limits: Limits, firstID: UInt64) {
        let limits = Limits(
            replayCapacity: max(limits.replayCapacity, 1),
            clientQueueCapacity: max(limits.clientQueueCapacity, 1),
            maximumClients: max(limits.maximumClients, 0)
        )
        self.limits = limits
        self.state = Locked(
            State(firstID: firstID, nextID: firstID, ring: Array(repeating: nil, count: limits.replayCapacity))
        )
    }

    /// Adds the event `make` builds with its id, and wakes the readers. Returns the number of clients dropped
    /// because this event overflowed their queue.
    @discardableResult
    func publish(_ make: (UInt64) -> OperationsEvent) -> Int {
        let (dropped, wakes) = state.updateAndBroadcast { state -> (Int, [@Sendable () -> Void]) in
            let id = state.nextID
            state.ring[Int((id - state.firstID) % UInt64(state.ring.count))] = make(id)
            state.nextID = id + 1
            var dropped = 0
            for (key, client) in state.clients where !client.dropped {
                if state.nextID - client.cursor > UInt64(limits.clientQueueCapacity) {
                    state.clients[key]?.dropped = true
                    dropped += 1
                }
            }
            state.droppedClients += dropped
            return (dropped, state.clients.values.compactMap(\.wake))
        }
        for wake in wakes { wake() }
        return dropped
    }

    /// Registers a client. With `lastEventID`, the events after it that are still buffered are replayed; when
    /// some are missing (or the id is not one of this process), `gap` is set and the replay starts at the oldest
    /// buffered event (or, for an id that is not a number or lies ahead, with the next event). Returns `nil` when
    /// ``Limits-swift.struct/maximumClients`` clients are reading already.
    func subscribe(
        lastEventID: String?,
        wake: (@Sendable () -> Void)? = nil
    ) -> (client: Int, gap: UInt64?)? {
        state.withLock { state -> (Int, UInt64?)? in
            guard state.clients.count < limits.maximumClients else { return nil }
            var cursor = state.nextID
            var gap: UInt64?
            if let lastEventID {
                let oldest = state.oldestID
                if let last = UInt64(lastEventID.trimmingSpaces), last < state.nextID {
                    if last &+ 1 >= oldest {
                        cursor = last + 1
                    } else {
                        cursor = oldest
                        gap = oldest
                    }
                } else {
                    gap = state.nextID
                }
            }
            // A replay never starts with a full queue.
            let queueStart = state.nextID - min(state.nextID - state.firstID, UInt64(limits.clientQueueCapacity - 1))
            if cursor < queueStart {
                cursor = queueStart
                gap = queueStart
            }
            let key = state.nextClient
            state.nextClient += 1
            state.clients[key] = Client(cursor: cursor, wake: wake)
            return (key, gap)
        }
    }

    /// What a client gets when it reads.
    enum Take {
        /// The events after its cursor (possibly none).
        case events([OperationsEvent])
        /// It was dropped for falling behind; it is now forgotten.
        case dropped
        /// It is unknown: cancelled, or dropped and told so already.
        case gone
    }

    /// Takes the client's pending events and moves its cursor past them.
    func take(client key: Int) -> Take {
        state.withLock { state in
            guard let client = state.clients[key] else { return .gone }
            if client.dropped {
                state.clients[key] = nil
                return .dropped
            }
            guard client.cursor < state.nextID else { return .events([]) }
            var events: [OperationsEvent] = []
            events.reserveCapacity(Int(state.nextID - client.cursor))
            for id in client.cursor..<state.nextID {
                if let event = state.ring[Int((id - state.firstID) % UInt64(state.ring.count))] {
                    events.append(event)
                }
            }
            state.clients[key]?.cursor = state.nextID
            return .events(events)
        }
    }

    /// Waits until the client has something to take (events, or its drop) or the monotonic clock reaches
    /// `deadline`; returns whether it has.
    func wait(client key: Int, deadlineMonotonicNanoseconds deadline: UInt64) -> Bool {
        state.wait(
            until: { state in
                guard let client = state.clients[key] else { return true }
                return client.dropped || client.cursor < state.nextID
            },
            deadlineMonotonicNanoseconds: deadline
        )
    }

    /// Drops the client because its transport could not take more (a pushing transport's buffer was full), counts
    /// it, and forgets it.
    func drop(client key: Int) {
        state.updateAndBroadcast { state in
            guard state.clients.removeValue(forKey: key) != nil else { return }
            state.droppedClients += 1
        }
    }

    /// Forgets the client (its connection closed).
    func cancel(client key: Int) {
        state.updateAndBroadcast { $0.clients[key] = nil }
    }

    /// Clients reading now (dropped ones that were not told yet included).
    var connectedClients: Int {
        state.withLock { $0.clients.count }
    }

    /// Clients dropped for falling behind since the hub was made.
    var droppedClients: Int {
        state.withLock { $0.droppedClients }
    }

    /// The id of the latest event, if any was published.
    var lastEventID: UInt64? {
        state.withLock { $0.nextID > $0.firstID ? $0.nextID - 1 : nil }
    }
}

extension String {
    /// Without leading and trailing spaces and tabs (an HTTP header value's optional whitespace).
    var trimmingSpaces: Substring {
        var text = self[...]
        while let first = text.first, first == " " || first == "\t" { text.removeFirst() }
        while let last = text.last, last == " " || last == "\t" { text.removeLast() }
        return text
    }
}
