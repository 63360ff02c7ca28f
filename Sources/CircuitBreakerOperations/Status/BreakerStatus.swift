import CircuitBreaker
import CircuitBreakerInternals

/// One breaker as the status API shows it (`GET /api/v1/breakers/{name}`, and each entry of the list): its
/// snapshot, its policy, its call counts, its recent transitions and its override, with `snake_case` keys and
/// `null` for what does not apply. `docs/operations-api.schema.json` documents the document; the integration test
/// checks real responses against it.
struct BreakerStatus {
    let snapshot: BreakerSnapshot
    let configuration: CircuitBreaker.Configuration
    /// The policy object, rendered once per breaker (see ``PolicyStatus``).
    let policy: [UInt8]
    let calls: CallCounts?
    /// The latest transitions, newest first (at most ``TransitionHistory/depth``).
    let recentTransitions: [StateTransition]
    /// For a group's breaker: the group's name, and the key (`nil` for the overflow breaker).
    var group: String?
    var key: String?

    init(
        snapshot: BreakerSnapshot,
        configuration: CircuitBreaker.Configuration,
        policy: [UInt8]? = nil,
        calls: CallCounts?,
        recentTransitions: [StateTransition] = [],
        group: String? = nil,
        key: String? = nil
    ) {
        self.group = group
        self.key = key
        self.snapshot = snapshot
        self.configuration = configuration
        self.policy = policy ?? PolicyStatus.render(configuration)
        self.calls = calls
        self.recentTransitions = recentTransitions
    }

    /// Writes the breaker's JSON object.
    func write(to json: inout JSONWriter) {
        json.beginObject()
        json.key("name")
        json.string(snapshot.name)
        if let group {
            json.key("group")
            json.string(group)
            json.key("key")
            json.string(key)
        }
        json.key("state")
        json.string(snapshot.state.label)
        json.key("generation")
        json.unsigned(snapshot.generation)
        json.key("policy")
        json.raw(policy)
        json.key("window")
        json.beginObject()
        json.key("calls")
        json.integer(snapshot.windowCalls)
        json.key("failures")
        json.integer(snapshot.windowFailures)
        json.key("slow_calls")
        json.integer(snapshot.windowSlowCalls)
        json.key("failure_ratio")
        json.number(snapshot.failureRatio)
        json.key("slow_call_ratio")
        json.number(snapshot.slowCallRatio)
        json.endObject()
        json.key("consecutive_failures")
        json.integer(snapshot.consecutiveFailures)
        json.key("consecutive_reopens")
        json.integer(snapshot.consecutiveReopens)
        json.key("last_transition")
        Self.write(snapshot.lastTransition, to: &json)
        json.key("recent_transitions")
        json.beginArray()
        for transition in recentTransitions { Self.write(transition, to: &json) }
        json.endArray()
        json.key("time_in_state_seconds")
        json.seconds(snapshot.timeInCurrentState)
        json.key("retry_after_seconds")
        json.seconds(snapshot.retryAfter)
        json.key("override")
        Self.write(snapshot.activeOverride, to: &json)
        json.key("calls")
        if let calls {
            json.beginObject()
            json.key("executed")
            json.integer(calls.executed)
            json.key("failed")
            json.integer(calls.failed)
            json.key("rejected")
            json.integer(calls.rejected)
            json.key("shadow_rejected")
            json.integer(calls.shadowRejected)
            json.endObject()
        } else {
            json.null()
        }
        json.endObject()
    }

    private static func write(_ transition: StateTransition?, to json: inout JSONWriter) {
        guard let transition else { return json.null() }
        json.beginObject()
        json.fields(of: transition)
        json.key("timestamp")
        json.number(transition.timestamp)
        json.endObject()
    }

    private static func write(_ override: BreakerOverride?, to json: inout JSONWriter) {
        guard let override else { return json.null() }
        json.beginObject()
        json.fields(of: override)
        json.key("applied_at")
        json.number(override.appliedAt)
        json.endObject()
    }
}

extension JSONWriter {
    /// `from`, `to`, `reason` and `generation` of a transition, as the status API and the events write them.
    mutating func fields(of transition: StateTransition) {
        key("from")
        string(transition.from.label)
        key("to")
        string(transition.to.label)
        key("reason")
        string(transition.reason.rawValue)
        key("generation")
        unsigned(transition.generation)
    }

    /// `action`, `reason`, `actor` and `expires_at` of an override, as the status API and the events write them.
    mutating func fields(of override: BreakerOverride) {
        key("action")
        string(override.action.rawValue)
        key("reason")
        string(override.reason)
        key("actor")
        string(override.actor)
        key("expires_at")
        number(override.expiresAt)
    }
}

extension Duration {
    /// The duration in seconds, as a `Double`.
    var secondsValue: Double {
        Double(nanoseconds) / 1e9
    }
}
