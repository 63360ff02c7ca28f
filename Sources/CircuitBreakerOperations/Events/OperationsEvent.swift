import CircuitBreaker
import Foundation

/// One event of the stream `GET /api/v1/events`: a transition, an override applied or ended, or a reset.
///
/// On the wire (see ``ServerSentEvents``) each is a server-sent event with the ``id``, the event name ``Kind``
/// and a JSON object `data` line, for example
/// `{"id":17,"type":"transition","breaker":"payments","timestamp":1700000000.5,"from":"closed","to":"open",…}`.
struct OperationsEvent: Sendable, Hashable {
    /// The kind of event, which is also the SSE event name.
    enum Kind: String, Sendable, Hashable {
        case transition
        case overrideApplied = "override_applied"
        case overrideEnded = "override_ended"
        case reset
    }

    /// Increases by one with each event of the process (see ``EventHub`` for where it starts).
    let id: UInt64
    let kind: Kind
    let breaker: String
    /// Seconds since the Unix epoch, by the breaker's clock.
    let timestamp: Double
    /// For a transition.
    var transition: StateTransition?
    /// For an override applied or ended.
    var override: BreakerOverride?
    /// For an override applied: whether it was restored from the state file after a restart.
    var restored = false
    /// For an override ended: whether it expired (rather than being cleared or replaced).
    var expired = false
}

extension OperationsEvent: Encodable {
    private enum Keys: String, CodingKey {
        case id, type, breaker, timestamp, from, to, reason, generation, action, actor, restored, expired
        case expiresAt = "expires_at"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(id, forKey: .id)
        try container.encode(kind.rawValue, forKey: .type)
        try container.encode(breaker, forKey: .breaker)
        try container.encode(timestamp, forKey: .timestamp)
        if let transition {
            try container.encode(transition.from.label, forKey: .from)
            try container.encode(transition.to.label, forKey: .to)
            try container.encode(transition.reason.rawValue, forKey: .reason)
            try container.encode(transition.generation, forKey: .generation)
        }
        if let override {
            try container.encode(override.action.rawValue, forKey: .action)
            try container.encode(override.reason, forKey: .reason)
            try container.encode(override.actor, forKey: .actor)
            try container.encode(override.expiresAt, forKey: .expiresAt)
        }
        switch kind {
        case .overrideApplied: try container.encode(restored, forKey: .restored)
        case .overrideEnded: try container.encode(expired, forKey: .expired)
        case .transition, .reset: break
        }
    }
}
