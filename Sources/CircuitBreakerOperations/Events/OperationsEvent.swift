import CircuitBreaker

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

extension OperationsEvent {
    /// Writes the event's JSON object.
    func write(to json: inout JSONWriter) {
        json.beginObject()
        json.key("id")
        json.unsigned(id)
        json.key("type")
        json.string(kind.rawValue)
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
        case .transition, .reset:
            break
        }
        json.endObject()
    }
}
