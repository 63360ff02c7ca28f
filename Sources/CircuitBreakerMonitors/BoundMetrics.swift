import CircuitBreaker
import CoreMetrics
import CircuitBreakerInternals

/// The metrics of one breaker, created when a ``MetricsMonitor`` is bound to it; also the monitor that records
/// into them.
final class BoundMetrics: BreakerMonitor {
    private let calls: [CoreMetrics.Counter]  // success, failure, timeout, ignored, rejected
    private let durations: [CoreMetrics.Timer]  // success, failure, timeout, ignored; empty without durations
    private let slow: CoreMetrics.Counter
    private let fallbacks: [CoreMetrics.Counter]  // success, failure
    private let transitions: [Int: CoreMetrics.Counter]
    private let states: [Meter]  // by CircuitState.rawValue
    private let failureRatio: Meter?
    private let slowCallRatio: Meter?
    private let failureRatioThreshold: Meter?
    private let stateChangeTimestamp: Meter
    private let stateSeconds: [FloatingPointCounter]  // by CircuitState.rawValue
    private let shadowRejected: CoreMetrics.Counter?  // shadow breakers only
    private let overrides: [CoreMetrics.Counter]  // by MetricContract.overrideActions
    private let overrideExpiry: Meter
    /// The breaker (held weakly) and the generation the meters show.
    private let gauges = LatestSnapshot<CircuitBreaker, BreakerSnapshot>()
    private weak let list: BoundMetricsList?

    private static let outcomes = ["success", "failure", "timeout", "ignored", "rejected"]

    init(breaker: BreakerDescription, factory: any MetricsFactory, recordsDurations: Bool, list: BoundMetricsList) {
        let name = breaker.name
        self.list = list
        calls = Self.outcomes.map {
            Counter(
                label: "circuit_breaker_calls_total",
                dimensions: [("breaker", name), ("outcome", $0)],
                factory: factory
            )
        }
        durations =
            recordsDurations
            ? Self.outcomes.dropLast().map {
                Timer(
                    label: "circuit_breaker_call_duration_seconds",
                    dimensions: [("breaker", name), ("outcome", $0)],
                    factory: factory
                )
            }
            : []
        slow = Counter(label: "circuit_breaker_slow_calls_total", dimensions: [("breaker", name)], factory: factory)
        fallbacks = ["success", "failure"].map {
            Counter(
                label: "circuit_breaker_fallbacks_total",
                dimensions: [("breaker", name), ("result", $0)],
                factory: factory
            )
        }
        var transitions: [Int: CoreMetrics.Counter] = [:]
        for from in CircuitState.allCases {
            for to in CircuitState.allCases where from.canTransition(to: to) {
                transitions[Self.key(from, to)] = Counter(
                    label: "circuit_breaker_transitions_total",
                    dimensions: [("breaker", name), ("from", from.label), ("to", to.label)],
                    factory: factory
                )
            }
        }
        self.transitions = transitions
        states = CircuitState.allCases.map {
            Meter(
                label: "circuit_breaker_state",
                dimensions: [("breaker", name), ("state", $0.label)],
                factory: factory
            )
        }
        for state in CircuitState.allCases { states[Int(state.rawValue)].set(state == .closed ? 1 : 0) }
        if breaker.configuration.trip.windowPolicy != nil {
            failureRatio = Meter(
                label: "circuit_breaker_failure_ratio",
                dimensions: [("breaker", name)],
                factory: factory
            )
            slowCallRatio = Meter(
                label: "circuit_breaker_slow_call_ratio",
                dimensions: [("breaker", name)],
                factory: factory
            )
        } else {
            failureRatio = nil
            slowCallRatio = nil
        }
        if let threshold = breaker.configuration.trip.failureRatioThreshold {
            let meter = Meter(
                label: "circuit_breaker_failure_ratio_threshold",
                dimensions: [("breaker", name)],
                factory: factory
            )
            meter.set(threshold)
            failureRatioThreshold = meter
        } else {
            failureRatioThreshold = nil
        }
        stateChangeTimestamp = Meter(
            label: "circuit_breaker_state_change_timestamp_seconds",
            dimensions: [("breaker", name)],
            factory: factory
        )
        shadowRejected =
            breaker.configuration.enforcement.rejectsCalls
            ? nil
            : Counter(
                label: MetricContract.calls.name,
                dimensions: [("breaker", name), ("outcome", "shadow_rejected")],
                factory: factory
            )
        overrides = MetricContract.overrideActions.map {
            Counter(label: MetricContract.overrides.name, dimensions: [("breaker", name), ("action", $0)], factory: factory)
        }
        overrideExpiry = Meter(label: MetricContract.overrideExpiry.name, dimensions: [("breaker", name)], factory: factory)
        overrideExpiry.set(0)
        stateSeconds = CircuitState.allCases.map {
            FloatingPointCounter(
                label: MetricContract.stateSeconds.name,
                dimensions: [("breaker", name), ("state", $0.label)],
                factory: factory
            )
        }
    }

    private static func key(_ from: CircuitState, _ to: CircuitState) -> Int {
        Int(from.rawValue) << 8 | Int(to.rawValue)
    }

    // MARK: Lifecycle

    func didAttach(to breaker: CircuitBreaker) {
        gauges.attach(breaker)
        refresh()
    }

    func didDetach(from breaker: BreakerDescription) {
        list?.remove(self)
        gauges.detach()
        for counter in calls + fallbacks + Array(transitions.values) + [slow] + overrides { counter.destroy() }
        shadowRejected?.destroy()
        overrideExpiry.destroy()
        for timer in durations { timer.destroy() }
        for counter in stateSeconds { counter.destroy() }
        for meter in states
            + [failureRatio, slowCallRatio, failureRatioThreshold, stateChangeTimestamp].compactMap({ $0 })
        {
            meter.destroy()
        }
    }

    var wantsDurations: Bool { !durations.isEmpty }

    // MARK: Calls

    func callSucceeded(_ breaker: CircuitBreaker, duration: Duration?) {
        calls[0].increment()
        if let duration, !durations.isEmpty { durations[0].recordNanoseconds(duration.nanoseconds) }
    }

    func callFailed(_ breaker: CircuitBreaker, error: any Error, duration: Duration?) {
        calls[1].increment()
        if let duration, !durations.isEmpty { durations[1].recordNanoseconds(duration.nanoseconds) }
    }

    func callTimedOut(_ breaker: CircuitBreaker, duration: Duration) {
        calls[2].increment()
        if !durations.isEmpty { durations[2].recordNanoseconds(duration.nanoseconds) }
    }

    func callIgnored(_ breaker: CircuitBreaker, error: any Error, duration: Duration?) {
        calls[3].increment()
        if let duration, !durations.isEmpty { durations[3].recordNanoseconds(duration.nanoseconds) }
    }

    func callRejected(_ breaker: CircuitBreaker, state: CircuitState) {
        calls[4].increment()
    }

    func callShadowRejected(_ breaker: CircuitBreaker, state: CircuitState) {
        shadowRejected?.increment()
    }

    func overrideApplied(_ breaker: CircuitBreaker, override: BreakerOverride, restored: Bool) {
        if !restored, let index = MetricContract.overrideActions.firstIndex(of: override.action.rawValue) {
            overrides[index].increment()
        }
        refresh()
    }

    func overrideEnded(_ breaker: CircuitBreaker, override: BreakerOverride, expired: Bool) {
        refresh()
    }

    func slowCall(_ breaker: CircuitBreaker, duration: Duration) {
        slow.increment()
    }

    func fallbackCompleted(_ breaker: CircuitBreaker, reason: FallbackReason, succeeded: Bool) {
        fallbacks[succeeded ? 0 : 1].increment()
    }

    // MARK: State

    func stateChanged(_ breaker: CircuitBreaker, transition: StateTransition) {
        transitions[Self.key(transition.from, transition.to)]?.increment()
        refresh()
    }

    /// Sets the meters from the breaker's snapshot, if the breaker is alive. Transitions can arrive out of order
    /// from two threads: only the newest state period is applied.
    func refresh() {
        gauges.refresh(read: { $0.snapshot() }, order: \.order) { snapshot, previous in
            for state in CircuitState.allCases { states[Int(state.rawValue)].set(state == snapshot.state ? 1 : 0) }
            stateChangeTimestamp.set(snapshot.lastTransitionTimestamp)
            overrideExpiry.set(snapshot.activeOverride?.expiresAt ?? 0)
            failureRatio?.set(snapshot.failureRatio)
            slowCallRatio?.set(snapshot.slowCallRatio)
            // swift-metrics counters only go up by increments: add the time since the snapshot applied before
            // (snapshots are applied in order, so the increment is never negative).
            for state in CircuitState.allCases {
                let increment = snapshot.timeInState.seconds(in: state) - (previous?.timeInState.seconds(in: state) ?? 0)
                if increment > 0 { stateSeconds[Int(state.rawValue)].increment(by: increment) }
            }
        }
    }
}
