/// The metric contract: every family a circuit breaker exports, with its type, labels, unit and help text.
///
/// This is the one source of the names. ``CircuitBreakerPrometheus`` renders these families; the swift-metrics
/// monitor reports the same names; a test writes the contract to `docs/metric-contract.json`, which the dashboard
/// checks and the end-to-end harnesses read instead of keeping lists of their own (the test encodes ``families``
/// with Foundation's `JSONEncoder`; this module stays free of Foundation).
package enum MetricContract {
    /// The Prometheus type of a family.
    package enum Kind: String, Sendable, Encodable {
        case counter
        case gauge
        case histogram
    }

    /// One label of a family and, where it is bounded by the library, its values.
    package struct Label: Sendable, Encodable {
        /// The label name.
        package let name: String
        /// Every value the library writes; empty when the value comes from the user (the breaker's name).
        package let values: [String]
    }

    /// What exports a family's series: each breaker, each group of keyed breakers, each key of a group, or the
    /// registry once.
    package enum Scope: String, Sendable, Encodable {
        /// A breaker of its own (`breaker` is its name).
        case breaker
        /// A group of keyed breakers as a whole (`breaker` is the group's name).
        case group
        /// Each key of a group (`breaker` is the group's name, `key` the key's).
        case key
        /// The registry, once.
        case registry
    }

    /// One metric family.
    package struct Family: Sendable, Encodable {
        /// The name, with `_total` for counters as the text format 0.0.4 writes it.
        package let name: String
        /// Counter, gauge or histogram.
        package let kind: Kind
        /// The labels, `breaker` first, without `le`.
        package let labels: [Label]
        /// The base unit (`seconds`, `ratio`), or empty.
        package let unit: String
        /// The `# HELP` text.
        package let help: String
        /// What exports the family's series.
        package let scopes: [Scope]

        init(name: String, kind: Kind, labels: [Label], unit: String, help: String, scopes: [Scope] = [.breaker]) {
            self.name = name
            self.kind = kind
            self.labels = labels
            self.unit = unit
            self.help = help
            self.scopes = scopes
        }

        private enum CodingKeys: String, CodingKey {
            case name
            case kind = "type"
            case labels
            case unit
            case help
            case scopes = "exported_by"
        }
    }

    // MARK: Label values

    /// The `outcome` values of the duration histogram: the outcomes of calls the breaker ran.
    package static let executedOutcomes = ["success", "failure", "timeout", "ignored"]
    /// The `outcome` values of `circuit_breaker_calls_total`; `shadow_rejected` only for breakers in shadow mode.
    package static let callOutcomes = executedOutcomes + ["rejected", "shadow_rejected"]
    /// The `action` values of `circuit_breaker_overrides_total`.
    package static let overrideActions = ["force_open", "disable", "reset"]
    /// The `result` values of `circuit_breaker_fallbacks_total`.
    package static let fallbackResults = ["success", "failure"]

    private static let breaker = Label(name: "breaker", values: [])
    private static let key = Label(name: "key", values: [])
    private static let stateLabel = Label(name: "state", values: StateTable.labels)

    // MARK: Families
    package static let state = Family(
        name: "circuit_breaker_state",
        kind: .gauge,
        labels: [breaker, stateLabel],
        unit: "",
        help: "1 for the state the next call through the circuit breaker would meet, 0 for the other states."
    )

    package static let calls = Family(
        name: "circuit_breaker_calls_total",
        kind: .counter,
        labels: [breaker, Label(name: "outcome", values: callOutcomes)],
        unit: "",
        help: "Calls through the circuit breaker by outcome: success, failure, timeout, ignored (an error not "
            + "counted as a failure), rejected (not run), or shadow_rejected (a shadow breaker would have rejected "
            + "it; it ran and is counted by its outcome too)."
    )

    package static let callDuration = Family(
        name: "circuit_breaker_call_duration_seconds",
        kind: .histogram,
        labels: [breaker, Label(name: "outcome", values: executedOutcomes)],
        unit: "seconds",
        help: "Duration of the calls the circuit breaker ran, by outcome (for a group of keyed breakers, of every "
            + "key's calls).",
        scopes: [.breaker, .group]
    )

    package static let slowCalls = Family(
        name: "circuit_breaker_slow_calls_total",
        kind: .counter,
        labels: [breaker],
        unit: "",
        help: "Calls slower than the slow-call threshold of the circuit breaker (for a group of keyed breakers, of "
            + "any key).",
        scopes: [.breaker, .group]
    )

    package static let transitions = Family(
        name: "circuit_breaker_transitions_total",
        kind: .counter,
        labels: [
            breaker, Label(name: "from", values: StateTable.labels), Label(name: "to", values: StateTable.labels),
        ],
        unit: "",
        help: "State transitions of the circuit breaker, by previous and new state."
    )

    package static let failureRatio = Family(
        name: "circuit_breaker_failure_ratio",
        kind: .gauge,
        labels: [breaker],
        unit: "ratio",
        help: "Failure ratio of the sliding window of the circuit breaker; 0 until the window holds the minimum "
            + "number of calls."
    )

    package static let slowCallRatio = Family(
        name: "circuit_breaker_slow_call_ratio",
        kind: .gauge,
        labels: [breaker],
        unit: "ratio",
        help: "Slow-call ratio of the sliding window of the circuit breaker; 0 until the window holds the "
            + "minimum number of calls."
    )

    package static let failureRatioThreshold = Family(
        name: "circuit_breaker_failure_ratio_threshold",
        kind: .gauge,
        labels: [breaker],
        unit: "ratio",
        help: "Failure ratio at which the circuit breaker trips open."
    )

    package static let stateChangeTimestamp = Family(
        name: "circuit_breaker_state_change_timestamp_seconds",
        kind: .gauge,
        labels: [breaker],
        unit: "seconds",
        help: "Unix time of the last state transition of the circuit breaker (its creation before the first "
            + "transition)."
    )

    package static let fallbacks = Family(
        name: "circuit_breaker_fallbacks_total",
        kind: .counter,
        labels: [breaker, Label(name: "result", values: fallbackResults)],
        unit: "",
        help: "Fallbacks run by the circuit breaker, by result: success (returned a value) or failure (threw); for a "
            + "group of keyed breakers, of any key.",
        scopes: [.breaker, .group]
    )

    package static let stateSeconds = Family(
        name: "circuit_breaker_state_seconds_total",
        kind: .counter,
        labels: [breaker, stateLabel],
        unit: "seconds",
        help: "Seconds the circuit breaker has spent in each state, the current period included."
    )

    package static let overrides = Family(
        name: "circuit_breaker_overrides_total",
        kind: .counter,
        labels: [breaker, Label(name: "action", values: overrideActions)],
        unit: "",
        help: "Operator overrides applied to the circuit breaker, by action: force_open, disable or reset "
            + "(overrides restored after a restart are not counted again)."
    )

    package static let overrideExpiry = Family(
        name: "circuit_breaker_override_expiry_timestamp_seconds",
        kind: .gauge,
        labels: [breaker],
        unit: "seconds",
        help: "Unix time at which the operator's override of the circuit breaker ends; 0 when none is in force."
    )

    // MARK: Groups of keyed breakers

    /// The `from`/`to` pairs of `circuit_breaker_key_transitions_total` that every key exports from its creation:
    /// the transitions a breaker makes by itself. An operator's (to `closed`, `forced_open` or `disabled`) appear
    /// once they occurred.
    package static let automaticTransitions: [(from: UInt8, to: UInt8)] = [
        (StateTable.closed, StateTable.open), (StateTable.open, StateTable.halfOpen),
        (StateTable.halfOpen, StateTable.open), (StateTable.halfOpen, StateTable.closed),
    ]

    /// The `policy` values of `circuit_breaker_group_overflow_total`.
    package static let overflowPolicies = ["shared_breaker", "reject"]

    package static let keyState = Family(
        name: "circuit_breaker_key_state",
        kind: .gauge,
        labels: [breaker, key, stateLabel],
        unit: "",
        help: "1 for the state the next call through the key's breaker would meet, 0 for the other states; the "
            + "group's overflow breaker has no key label.",
        scopes: [.key]
    )

    package static let keyCalls = Family(
        name: "circuit_breaker_key_calls_total",
        kind: .counter,
        labels: [breaker, key, Label(name: "outcome", values: callOutcomes)],
        unit: "",
        help: "Calls through the key's breaker by outcome, as circuit_breaker_calls_total counts them; the group's "
            + "overflow breaker has no key label.",
        scopes: [.key]
    )

    package static let keyTransitions = Family(
        name: "circuit_breaker_key_transitions_total",
        kind: .counter,
        labels: [
            breaker, key, Label(name: "from", values: StateTable.labels), Label(name: "to", values: StateTable.labels),
        ],
        unit: "",
        help: "State transitions of the key's breaker, by previous and new state; an operator's transitions appear "
            + "once they occurred.",
        scopes: [.key]
    )

    package static let keyCallDuration = Family(
        name: "circuit_breaker_key_call_duration_seconds",
        kind: .histogram,
        labels: [breaker, key, Label(name: "outcome", values: executedOutcomes)],
        unit: "seconds",
        help: "Duration of the calls the key's breaker ran, by outcome (only where per-key histograms are turned "
            + "on).",
        scopes: [.key]
    )

    package static let groupKeys = Family(
        name: "circuit_breaker_group_keys",
        kind: .gauge,
        labels: [breaker],
        unit: "",
        help: "Keys the group of keyed circuit breakers holds now.",
        scopes: [.group]
    )

    package static let groupMaxKeys = Family(
        name: "circuit_breaker_group_max_keys",
        kind: .gauge,
        labels: [breaker],
        unit: "",
        help: "The most keys the group of keyed circuit breakers holds; past it, idle keys are evicted.",
        scopes: [.group]
    )

    package static let groupEvictions = Family(
        name: "circuit_breaker_group_evictions_total",
        kind: .counter,
        labels: [breaker],
        unit: "",
        help: "Idle keys the group of keyed circuit breakers evicted to make room for new ones.",
        scopes: [.group]
    )

    package static let groupOverflow = Family(
        name: "circuit_breaker_group_overflow_total",
        kind: .counter,
        labels: [breaker, Label(name: "policy", values: overflowPolicies)],
        unit: "",
        help: "New keys that found the group of keyed circuit breakers full with no idle key, by the group's "
            + "policy: shared_breaker (their calls went through the overflow breaker) or reject (refused).",
        scopes: [.group]
    )

    package static let registrationsRejected = Family(
        name: "circuit_breaker_registrations_rejected_total",
        kind: .counter,
        labels: [],
        unit: "",
        help: "Circuit breakers that were not registered because the registry held the maximum number of "
            + "breakers.",
        scopes: [.registry]
    )

    /// Every family, in the order the Prometheus monitor renders them; the registry's own last.
    package static let families: [Family] = [
        state, calls, callDuration, slowCalls, transitions, failureRatio, slowCallRatio, failureRatioThreshold,
        stateChangeTimestamp, fallbacks, stateSeconds, overrides, overrideExpiry, keyState, keyCalls, keyTransitions,
        keyCallDuration, groupKeys, groupMaxKeys, groupEvictions, groupOverflow, registrationsRejected,
    ]

    /// The family called `name`.
    package static func family(_ name: String) -> Family? {
        families.first { $0.name == name }
    }
}
