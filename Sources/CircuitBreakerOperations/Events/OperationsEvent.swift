import CircuitBreaker

/// One event of the operations event stream: a transition, an override applied or ended, or a reset — and, from the
/// stream itself, a gap in the replay or the end of a client that fell behind.
///
/// ``BreakerOperations/events(after:)`` gives them as an `AsyncSequence` (for a WebSocket, a log, a test);
/// `GET /api/v1/events` sends them as server-sent events (see `ServerSentEvents`): each with its ``id``, the
/// event name of its ``Kind`` and a JSON object `data` line, for example
/// `{"id":17,"type":"transition","breaker":"payments","timestamp":1700000000.5,"from":"closed","to":"open",…}`.
public struct OperationsEvent: Sendable, Hashable {
    /// The kind of event, which is also the server-sent event's name. A struct over a private enum, so kinds can
    /// be added without breaking anyone's `switch`.
    public struct Kind: Hashable, Sendable, CustomStringConvertible {
        enum Name: String, Sendable, Hashable {
            case transition
            case overrideApplied = "override_applied"
            case overrideEnded = "override_ended"
            case reset
            case gap
            case dropped
        }

        let name: Name

        private init(_ name: Name) {
            self.name = name
        }

        /// A breaker changed state (``OperationsEvent/transition``).
        public static let transition = Kind(.transition)
        /// An override was applied, through the API or restored from the state file
        /// (``OperationsEvent/override``, ``OperationsEvent/restored``).
        public static let overrideApplied = Kind(.overrideApplied)
        /// An override ended: cleared, replaced or expired (``OperationsEvent/override``, ``OperationsEvent/expired``).
        public static let overrideEnded = Kind(.overrideEnded)
        /// A breaker was reset.
        public static let reset = Kind(.reset)
        /// The stream could not replay every event asked for (they left the replay buffer, or the id named another
        /// process): reload the status, and go on from ``OperationsEvent/id``, the first event still available.
        public static let gap = Kind(.gap)
        /// The reader fell behind by more than the stream's queue allows and was dropped; the stream ends after it.
        /// Subscribe again with the last id received to resume from the replay buffer.
        public static let dropped = Kind(.dropped)

        /// The server-sent event name: `transition`, `override_applied`, `override_ended`, `reset`, `gap` or
        /// `dropped`.
        public var description: String { self.name.rawValue }
    }

    /// Increases by one with each event of the process (see `EventHub` for where it starts); for a ``Kind/gap``,
    /// the id of the first event still available; 0 for ``Kind/dropped``.
    public let id: UInt64
    /// What happened.
    public let kind: Kind
    /// The breaker's name (empty for ``Kind/gap`` and ``Kind/dropped``).
    public let breaker: String
    /// Seconds since the Unix epoch, by the breaker's clock (0 for ``Kind/gap`` and ``Kind/dropped``).
    public let timestamp: Double
    /// For a transition.
    public internal(set) var transition: StateTransition?
    /// For an override applied or ended.
    public internal(set) var override: BreakerOverride?
    /// For an override applied: whether it was restored from the state file after a restart.
    public internal(set) var restored = false
    /// For an override ended: whether it expired (rather than being cleared or replaced).
    public internal(set) var expired = false

    init(
        id: UInt64,
        kind: Kind,
        breaker: String,
        timestamp: Double,
        transition: StateTransition? = nil,
        override: BreakerOverride? = nil
    ) {
        self.id = id
        self.kind = kind
        self.breaker = breaker
        self.timestamp = timestamp
        self.transition = transition
        self.override = override
    }

    /// The stream's own notice of a gap before `firstAvailable`.
    static func gap(firstAvailable: UInt64) -> OperationsEvent {
        OperationsEvent(id: firstAvailable, kind: .gap, breaker: "", timestamp: 0)
    }

    /// The stream's own notice that the reader was dropped.
    static let dropped = OperationsEvent(id: 0, kind: .dropped, breaker: "", timestamp: 0)
}

extension OperationsEvent {
    /// Writes the event's JSON object (a breaker's event; the stream's own notices are written by
    /// ``ServerSentEvents``).
    func write(to json: inout JSONWriter) {
        json.beginObject()
        json.key("id")
        json.unsigned(id)
        json.key("type")
        json.string(kind.description)
        json.key("breaker")
        json.string(breaker)
        json.key("timestamp")
        json.number(timestamp)
        if let transition { json.fields(of: transition) }
        if let override { json.fields(of: override) }
        switch kind {
        case .overrideApplied:
            json.key("restored")
            json.bool(restored)
        case .overrideEnded:
            json.key("expired")
            json.bool(expired)
        default:
            break
        }
        json.endObject()
    }
}
