import CircuitBreaker
import CircuitBreakerInternals
import CoreMetrics
import Synchronization

/// The metrics of one group of keyed breakers, created when a ``MetricsMonitor`` is bound to the group; also the
/// monitor the group's breakers are bound to, each getting its ``KeyMetrics``.
///
/// The names and dimensions are the Prometheus monitor's: per key `circuit_breaker_key_*` with `breaker` (the group)
/// and `key`, per group `circuit_breaker_group_*` and the group-wide durations, slow calls and fallbacks under the
/// group's name.
final class GroupMetrics: BreakerMonitor {
    let name: String
    let factory: any MetricsFactory
    /// Timers of every key's calls, by outcome (success, failure, timeout, ignored); empty without durations.
    let durations: [CoreMetrics.Timer]
    /// Whether each key gets timers of its own.
    let perKeyDurations: Bool
    let slow: CoreMetrics.Counter
    let fallbacks: [CoreMetrics.Counter]  // success, failure
    private let keys: Meter
    private let maximumKeys: Meter
    private let evictions: CoreMetrics.Counter
    private let overflows: CoreMetrics.Counter
    private let keyCount = Atomic<Int>(0)
    private let state = Locked(State())
    private weak let list: BoundMetricsList?

    private struct State {
        weak var group: BreakerGroup?
    }

    init(
        group: BreakerGroupDescription,
        factory: any MetricsFactory,
        recordsDurations: Bool,
        perKeyDurations: Bool,
        list: BoundMetricsList
    ) {
        name = group.name
        self.factory = factory
        self.list = list
        let breaker = [("breaker", group.name)]
        durations =
            recordsDurations
            ? MetricContract.executedOutcomes.map {
                Timer(
                    label: MetricContract.callDuration.name,
                    dimensions: breaker + [("outcome", $0)],
                    factory: factory
                )
            }
            : []
        self.perKeyDurations = recordsDurations && perKeyDurations
        slow = Counter(label: MetricContract.slowCalls.name, dimensions: breaker, factory: factory)
        fallbacks = MetricContract.fallbackResults.map {
            Counter(label: MetricContract.fallbacks.name, dimensions: breaker + [("result", $0)], factory: factory)
        }
        keys = Meter(label: MetricContract.groupKeys.name, dimensions: breaker, factory: factory)
        keys.set(0)
        maximumKeys = Meter(label: MetricContract.groupMaxKeys.name, dimensions: breaker, factory: factory)
        maximumKeys.set(group.configuration.maximumKeys)
        evictions = Counter(label: MetricContract.groupEvictions.name, dimensions: breaker, factory: factory)
        overflows = Counter(
            label: MetricContract.groupOverflow.name,
            dimensions: breaker + [("policy", group.configuration.overflow.description)],
            factory: factory
        )
    }

    // MARK: The group's events

    func bind(to breaker: BreakerDescription) throws -> any BreakerMonitor {
        if breaker.key != nil {
            keys.set(keyCount.add(1, ordering: .relaxed).newValue)
        }
        return KeyMetrics(breaker: breaker, group: self)
    }

    /// A key's breaker was detached (evicted, its group removed, or its creation failed).
    func keyDetached(_ metrics: KeyMetrics) {
        if metrics.key != nil {
            keys.set(keyCount.subtract(1, ordering: .relaxed).newValue)
        }
    }

    func didAttach(toGroup group: BreakerGroup) {
        state.withLock { $0.group = group }
    }

    func didDetach(fromGroup group: BreakerGroupDescription) {
        list?.remove(self)
        for counter in [slow, evictions, overflows] + fallbacks { counter.destroy() }
        for timer in durations { timer.destroy() }
        keys.destroy()
        maximumKeys.destroy()
    }

    func keyEvicted(_ group: BreakerGroup, key: String) {
        evictions.increment()
    }

    func keyOverflowed(_ group: BreakerGroup, key: String, policy: BreakerGroup.OverflowPolicy) {
        overflows.increment()
    }

    /// Settles the group's keys: each key's state meters then show the state its next call would meet.
    func refresh() {
        state.withLock { $0.group }?.settleStates()
    }
}

/// The metrics of one key of a group (or of the group's overflow breaker, without a `key` dimension).
final class KeyMetrics: BreakerMonitor {
    let key: String?
    private let group: GroupMetrics
    private let dimensions: [(String, String)]
    private let calls: [CoreMetrics.Counter]  // success, failure, timeout, ignored, rejected
    private let shadowRejected: CoreMetrics.Counter?
    private let states: [Meter]  // by CircuitState.rawValue
    /// The transitions counters (the four a breaker makes by itself from the start, an operator's once used) and
    /// the generation the state meters show.
    private let transitions: Locked<Transitions>
    private let durations: [CoreMetrics.Timer]

    private struct Transitions {
        var counters: [Int: CoreMetrics.Counter]
        var shownGeneration: UInt64 = 0
    }

    init(breaker: BreakerDescription, group: GroupMetrics) {
        key = breaker.key
        self.group = group
        var dimensions = [("breaker", breaker.name)]
        if let key = breaker.key { dimensions.append(("key", key)) }
        self.dimensions = dimensions
        let factory = group.factory
        calls = (MetricContract.executedOutcomes + ["rejected"]).map {
            Counter(label: MetricContract.keyCalls.name, dimensions: dimensions + [("outcome", $0)], factory: factory)
        }
        shadowRejected =
            breaker.configuration.enforcement.rejectsCalls
            ? nil
            : Counter(
                label: MetricContract.keyCalls.name,
                dimensions: dimensions + [("outcome", "shadow_rejected")],
                factory: factory
            )
        states = CircuitState.allCases.map {
            Meter(label: MetricContract.keyState.name, dimensions: dimensions + [("state", $0.label)], factory: factory)
        }
        for state in CircuitState.allCases { states[Int(state.rawValue)].set(state == .closed ? 1 : 0) }
        var transitions: [Int: CoreMetrics.Counter] = [:]
        for (from, to) in MetricContract.automaticTransitions {
            transitions[StateTable.pairIndex(from: from, to: to)] = Self.transitionCounter(
                from,
                to,
                dimensions,
                factory
            )
        }
        self.transitions = Locked(Transitions(counters: transitions))
        durations =
            group.perKeyDurations
            ? MetricContract.executedOutcomes.map {
                Timer(
                    label: MetricContract.keyCallDuration.name,
                    dimensions: dimensions + [("outcome", $0)],
                    factory: factory
                )
            }
            : []
    }

    private static func transitionCounter(
        _ from: UInt8,
        _ to: UInt8,
        _ dimensions: [(String, String)],
        _ factory: any MetricsFactory
    ) -> CoreMetrics.Counter {
        Counter(
            label: MetricContract.keyTransitions.name,
            dimensions: dimensions + [("from", StateTable.labels[Int(from)]), ("to", StateTable.labels[Int(to)])],
            factory: factory
        )
    }

    func didDetach(from breaker: BreakerDescription) {
        group.keyDetached(self)
        for counter in calls + transitions.withLock({ Array($0.counters.values) }) { counter.destroy() }
        shadowRejected?.destroy()
        for meter in states { meter.destroy() }
        for timer in durations { timer.destroy() }
    }

    var wantsDurations: Bool { !group.durations.isEmpty }

    // MARK: Calls

    private func record(_ outcome: Int, _ duration: Duration?) {
        calls[outcome].increment()
        guard let duration, !group.durations.isEmpty else { return }
        group.durations[outcome].recordNanoseconds(duration.nanoseconds)
        if !durations.isEmpty { durations[outcome].recordNanoseconds(duration.nanoseconds) }
    }

    func callSucceeded(_ breaker: CircuitBreaker, duration: Duration?) { record(0, duration) }
    func callFailed(_ breaker: CircuitBreaker, error: any Error, duration: Duration?) { record(1, duration) }
    func callTimedOut(_ breaker: CircuitBreaker, duration: Duration) { record(2, duration) }
    func callIgnored(_ breaker: CircuitBreaker, error: any Error, duration: Duration?) { record(3, duration) }
    func callRejected(_ breaker: CircuitBreaker, state: CircuitState) { calls[4].increment() }
    func callShadowRejected(_ breaker: CircuitBreaker, state: CircuitState) { shadowRejected?.increment() }
    func slowCall(_ breaker: CircuitBreaker, duration: Duration) { group.slow.increment() }

    func fallbackCompleted(_ breaker: CircuitBreaker, reason: FallbackReason, succeeded: Bool) {
        group.fallbacks[succeeded ? 0 : 1].increment()
    }

    // MARK: State

    func stateChanged(_ breaker: CircuitBreaker, transition: StateTransition) {
        let pair = StateTable.pairIndex(from: transition.from.rawValue, to: transition.to.rawValue)
        transitions.withLock { transitions in
            let counter =
                transitions.counters[pair]
                ?? Self.transitionCounter(transition.from.rawValue, transition.to.rawValue, dimensions, group.factory)
            transitions.counters[pair] = counter
            counter.increment()
            // Transitions can arrive out of order from two threads: the meters show the newest generation only.
            guard transition.generation > transitions.shownGeneration else { return }
            transitions.shownGeneration = transition.generation
            for state in CircuitState.allCases { states[Int(state.rawValue)].set(state == transition.to ? 1 : 0) }
        }
    }
}
