import CircuitBreakerInternals

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
    case stateSeconds
    case overrides
    case overrideExpiry
    case keyState
    case keyCalls
    case keyTransitions
    case keyCallDuration
    case groupKeys
    case groupMaxKeys
    case groupEvictions
    case groupOverflow

    /// The family's entry in the metric contract.
    var contract: MetricContract.Family {
        switch self {
        case .state: MetricContract.state
        case .calls: MetricContract.calls
        case .callDuration: MetricContract.callDuration
        case .slowCalls: MetricContract.slowCalls
        case .transitions: MetricContract.transitions
        case .failureRatio: MetricContract.failureRatio
        case .slowCallRatio: MetricContract.slowCallRatio
        case .failureRatioThreshold: MetricContract.failureRatioThreshold
        case .stateChangeTimestamp: MetricContract.stateChangeTimestamp
        case .fallbacks: MetricContract.fallbacks
        case .stateSeconds: MetricContract.stateSeconds
        case .overrides: MetricContract.overrides
        case .overrideExpiry: MetricContract.overrideExpiry
        case .keyState: MetricContract.keyState
        case .keyCalls: MetricContract.keyCalls
        case .keyTransitions: MetricContract.keyTransitions
        case .keyCallDuration: MetricContract.keyCallDuration
        case .groupKeys: MetricContract.groupKeys
        case .groupMaxKeys: MetricContract.groupMaxKeys
        case .groupEvictions: MetricContract.groupEvictions
        case .groupOverflow: MetricContract.groupOverflow
        }
    }

    /// Whether the family's samples come from groups of keyed breakers only (``GroupSeries``); the others come
    /// from breakers, and the group-wide durations, slow calls and fallbacks from each group's aggregate
    /// ``BreakerSeries``.
    var isGroupFamily: Bool {
        rawValue >= BreakerFamily.keyState.rawValue
    }

    /// The families a group's aggregate ``BreakerSeries`` has series in.
    static let aggregateFamilies: Set<BreakerFamily> = [.callDuration, .slowCalls, .fallbacks]

    var name: String { contract.name }

    /// The family whose `# TYPE` line names `name`, if it is one of the breakers' families.
    init?(name: some Collection<UInt8>) {
        guard let family = Self.allCases.first(where: { $0.name.utf8.elementsEqual(name) }) else { return nil }
        self = family
    }

    /// The header lines of every family in `format`, by raw value.
    static func headers(_ format: TextFormat) -> [[UInt8]] {
        switch format {
        case .prometheus: textHeaders
        case .openMetrics: openMetricsHeaders
        }
    }

    /// `# TYPE name type`, `# UNIT name unit` where the name ends with the unit, and `# HELP name text`, with a
    /// counter's name without `_total`, as OpenMetrics 1.0 declares a family.
    static let openMetricsHeaders: [[UInt8]] = allCases.map { family in
        var header: [UInt8] = []
        let contract = family.contract
        header.appendOpenMetricsDescriptor(
            name: contract.openMetricsName,
            type: contract.kind.rawValue,
            unit: contract.openMetricsUnit,
            help: contract.help.utf8
        )
        return header
    }

    /// `# HELP name text` and `# TYPE name type`, as swift-prometheus writes them (HELP first, backslashes in the
    /// text escaped: our texts have none).
    static let textHeaders: [[UInt8]] = allCases.map { family in
        var header: [UInt8] = []
        header.append(contentsOf: "# HELP \(family.name) ".utf8)
        for byte in family.contract.help.utf8 {
            if byte == UInt8(ascii: "\\") { header.append(byte) }
            header.append(byte)
        }
        header.append(contentsOf: "\n# TYPE \(family.name) \(family.contract.kind.rawValue)\n".utf8)
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

    var label: String { MetricContract.executedOutcomes[rawValue] }
}
