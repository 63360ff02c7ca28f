import Prometheus

/// The metric families of the contract in ARCHITECTURE.md: names, HELP texts, label values.
///
/// Kept in one place so that the monitor, the hand-rendered series and the documentation agree.
enum MetricFamilies {
    static let state = "circuit_breaker_state"
    static let calls = "circuit_breaker_calls_total"
    static let callDuration = "circuit_breaker_call_duration_seconds"
    static let slowCalls = "circuit_breaker_slow_calls_total"
    static let transitions = "circuit_breaker_transitions_total"
    static let failureRatio = "circuit_breaker_failure_ratio"
    static let slowCallRatio = "circuit_breaker_slow_call_ratio"
    static let failureRatioThreshold = "circuit_breaker_failure_ratio_threshold"
    static let stateChangeTimestamp = "circuit_breaker_state_change_timestamp_seconds"
    static let fallbacks = "circuit_breaker_fallbacks_total"
    static let registrationsRejected = "circuit_breaker_registrations_rejected_total"

    static let help: [String: String] = [
        state: "1 for the current state of the circuit breaker, 0 for the other states.",
        calls: "Calls through the circuit breaker by outcome: success, failure, timeout, ignored (an error not "
            + "counted as a failure) or rejected (not run).",
        callDuration: "Duration of the calls the circuit breaker ran, by outcome.",
        slowCalls: "Calls slower than the slow-call threshold of the circuit breaker.",
        transitions: "State transitions of the circuit breaker, by previous and new state.",
        failureRatio: "Failure ratio of the sliding window of the circuit breaker; 0 until the window holds the "
            + "minimum number of calls.",
        slowCallRatio: "Slow-call ratio of the sliding window of the circuit breaker; 0 until the window holds the "
            + "minimum number of calls.",
        failureRatioThreshold: "Failure ratio at which the circuit breaker trips open.",
        stateChangeTimestamp: "Unix time of the last state transition of the circuit breaker (its creation before "
            + "the first transition).",
        fallbacks: "Fallbacks run by the circuit breaker, by result: success (returned a value) or failure (threw).",
        registrationsRejected: "Circuit breakers that were not registered because the registry held the maximum "
            + "number of breakers.",
    ]

    /// The descriptor of the family `name`, with its HELP text (for the one family kept in the registry,
    /// `circuit_breaker_registrations_rejected_total`).
    static func descriptor(_ name: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help[name] ?? "")
    }
}

/// The families of a breaker's series, in the order they are rendered (the order of the metric contract).
///
/// Every family is rendered family-major: its `# HELP` and `# TYPE` lines once, then the samples of every breaker.
enum BreakerFamily: Int, CaseIterable {
    case state
    case calls
    case callDuration
    case slowCalls
    case transitions
    case failureRatio
    case slowCallRatio
    case failureRatioThreshold
    case stateChangeTimestamp
    case fallbacks

    var name: String {
        switch self {
        case .state: MetricFamilies.state
        case .calls: MetricFamilies.calls
        case .callDuration: MetricFamilies.callDuration
        case .slowCalls: MetricFamilies.slowCalls
        case .transitions: MetricFamilies.transitions
        case .failureRatio: MetricFamilies.failureRatio
        case .slowCallRatio: MetricFamilies.slowCallRatio
        case .failureRatioThreshold: MetricFamilies.failureRatioThreshold
        case .stateChangeTimestamp: MetricFamilies.stateChangeTimestamp
        case .fallbacks: MetricFamilies.fallbacks
        }
    }

    var type: String {
        switch self {
        case .calls, .slowCalls, .transitions, .fallbacks: "counter"
        case .callDuration: "histogram"
        case .state, .failureRatio, .slowCallRatio, .failureRatioThreshold, .stateChangeTimestamp: "gauge"
        }
    }

    /// The family whose `# TYPE` line names `name`, if it is one of the breakers' families.
    init?(name: some Collection<UInt8>) {
        guard let family = Self.allCases.first(where: { $0.name.utf8.elementsEqual(name) }) else { return nil }
        self = family
    }

    /// `# HELP name text` and `# TYPE name type`, as swift-prometheus writes them (HELP first, backslashes in the
    /// text escaped: our texts have none).
    static let headers: [[UInt8]] = allCases.map { family in
        var header: [UInt8] = []
        header.append(contentsOf: "# HELP \(family.name) ".utf8)
        for byte in (MetricFamilies.help[family.name] ?? "").utf8 {
            if byte == UInt8(ascii: "\\") { header.append(byte) }
            header.append(byte)
        }
        header.append(contentsOf: "\n# TYPE \(family.name) \(family.type)\n".utf8)
        return header
    }
}

/// The outcome of a call the breaker ran: the `outcome` label of the duration histogram, and (with `rejected`) of
/// the calls counter.
enum ExecutedOutcome: Int, CaseIterable {
    case success = 0
    case failure = 1
    case timeout = 2
    case ignored = 3

    var label: String {
        switch self {
        case .success: "success"
        case .failure: "failure"
        case .timeout: "timeout"
        case .ignored: "ignored"
        }
    }
}
