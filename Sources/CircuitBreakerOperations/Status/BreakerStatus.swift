import CircuitBreaker
import CircuitBreakerInternals

/// One breaker as the status API shows it (`GET /api/v1/breakers/{name}`, and each entry of the list): its
/// snapshot, its policy, its call counts and its override, with `snake_case` keys and `null` for what does not
/// apply. `docs/operations-api.schema.json` documents the document; a test checks real responses against it.
struct BreakerStatus: Encodable {
    let snapshot: BreakerSnapshot
    let policy: PolicyStatus
    let calls: CallCounts?
    /// The latest transitions, newest first (at most ``TransitionHistory/depth``).
    let recentTransitions: [StateTransition]

    init(
        snapshot: BreakerSnapshot,
        configuration: CircuitBreaker.Configuration,
        calls: CallCounts?,
        recentTransitions: [StateTransition] = []
    ) {
        self.snapshot = snapshot
        self.policy = PolicyStatus(configuration)
        self.calls = calls
        self.recentTransitions = recentTransitions
    }

    private enum Keys: String, CodingKey {
        case name, state, generation, policy, window, calls, override
        case consecutiveFailures = "consecutive_failures"
        case consecutiveReopens = "consecutive_reopens"
        case lastTransition = "last_transition"
        case recentTransitions = "recent_transitions"
        case timeInStateSeconds = "time_in_state_seconds"
        case retryAfterSeconds = "retry_after_seconds"
    }

    private enum WindowKeys: String, CodingKey {
        case calls, failures
        case slowCalls = "slow_calls"
        case failureRatio = "failure_ratio"
        case slowCallRatio = "slow_call_ratio"
    }

    /// A transition as the API shows it.
    private struct TransitionStatus: Encodable {
        let transition: StateTransition

        private enum Keys: String, CodingKey {
            case from, to, reason, generation, timestamp
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: Keys.self)
            try container.encode(transition.from.label, forKey: .from)
            try container.encode(transition.to.label, forKey: .to)
            try container.encode(transition.reason.rawValue, forKey: .reason)
            try container.encode(transition.generation, forKey: .generation)
            try container.encode(transition.timestamp, forKey: .timestamp)
        }
    }

    private enum OverrideKeys: String, CodingKey {
        case action, reason, actor
        case appliedAt = "applied_at"
        case expiresAt = "expires_at"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(snapshot.name, forKey: .name)
        try container.encode(snapshot.state.label, forKey: .state)
        try container.encode(snapshot.generation, forKey: .generation)
        try container.encode(policy, forKey: .policy)
        var window = container.nestedContainer(keyedBy: WindowKeys.self, forKey: .window)
        try window.encode(snapshot.windowCalls, forKey: .calls)
        try window.encode(snapshot.windowFailures, forKey: .failures)
        try window.encode(snapshot.windowSlowCalls, forKey: .slowCalls)
        try window.encode(snapshot.failureRatio, forKey: .failureRatio)
        try window.encode(snapshot.slowCallRatio, forKey: .slowCallRatio)
        try container.encode(snapshot.consecutiveFailures, forKey: .consecutiveFailures)
        try container.encode(snapshot.consecutiveReopens, forKey: .consecutiveReopens)
        try container.encode(snapshot.lastTransition.map(TransitionStatus.init), forKey: .lastTransition)
        try container.encode(recentTransitions.map(TransitionStatus.init), forKey: .recentTransitions)
        try container.encode(snapshot.timeInCurrentState.secondsValue, forKey: .timeInStateSeconds)
        try container.encode(snapshot.retryAfter?.secondsValue, forKey: .retryAfterSeconds)
        if let active = snapshot.activeOverride {
            var nested = container.nestedContainer(keyedBy: OverrideKeys.self, forKey: .override)
            try nested.encode(active.action.rawValue, forKey: .action)
            try nested.encode(active.reason, forKey: .reason)
            try nested.encode(active.actor, forKey: .actor)
            try nested.encode(active.appliedAt, forKey: .appliedAt)
            try nested.encode(active.expiresAt, forKey: .expiresAt)
        } else {
            try container.encodeNil(forKey: .override)
        }
        try container.encode(calls, forKey: .calls)
    }
}

extension Duration {
    /// The duration in seconds, as a `Double`.
    var secondsValue: Double {
        Double(nanoseconds) / 1e9
    }
}
