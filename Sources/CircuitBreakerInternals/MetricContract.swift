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

        private enum CodingKeys: String, CodingKey {
            case name
            case kind = "type"
            case labels
            case unit
            case help
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
        help: "Duration of the calls the circuit breaker ran, by outcome."
    )

    package static let slowCalls = Family(
        name: "circuit_breaker_slow_calls_total",
        kind: .counter,
        labels: [breaker],
        unit: "",
        help: "Calls slower than the slow-call threshold of the circuit breaker."
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
        help: "Fallbacks run by the circuit breaker, by result: success (returned a value) or failure (threw)."
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

    package static let registrationsRejected = Family(
        name: "circuit_breaker_registrations_rejected_total",
        kind: .counter,
        labels: [],
        unit: "",
        help: "Circuit breakers that were not registered because the registry held the maximum number of "
            + "breakers."
    )

    /// Every family, in the order the Prometheus monitor renders them; the registry's own last.
    package static let families: [Family] = [
        state, calls, callDuration, slowCalls, transitions, failureRatio, slowCallRatio, failureRatioThreshold,
        stateChangeTimestamp, fallbacks, stateSeconds, overrides, overrideExpiry, registrationsRejected,
    ]

    /// The family called `name`.
    package static func family(_ name: String) -> Family? {
        families.first { $0.name == name }
    }
}
