import CircuitBreaker
import Prometheus
import Synchronization

/// The monitor a ``PrometheusMonitor`` returns from ``PrometheusMonitor/bind(to:)``: every series of one breaker,
/// created and registered at bind time, so that an event only touches metric handles it already holds.
///
/// Per call, a counter increment (one relaxed atomic add) and, when durations are recorded, two more atomic adds in
/// ``DurationHistograms``. Transitions and refreshes take this breaker's own lock, to apply state changes in
/// generation order.
final class BreakerSeries: BreakerMonitor {
    let name: String
    private let shared: RegistryState

    private let success: Counter
    private let failure: Counter
    private let timeout: Counter
    private let ignored: Counter
    private let rejected: Counter
    private let slow: Counter
    private let fallbackSuccess: Counter
    private let fallbackFailure: Counter
    /// By `CircuitState.rawValue`.
    private let stateGauges: [Gauge]
    /// By `TransitionPairs.index(from:to:)`; nil for pairs that cannot occur.
    private let transitionCounters: [Counter?]
    /// Present for breakers with a window policy only.
    private let failureRatio: Gauge?
    private let slowCallRatio: Gauge?
    /// Present for breakers with a failure-ratio threshold only.
    private let failureRatioThreshold: Gauge?
    private let stateChangeTimestamp: Gauge

    /// The duration histograms, when the monitor records durations.
    let histograms: DurationHistograms?
    /// `breaker="…",outcome="…"` for each ``ExecutedOutcome``, escaped once at bind time.
    private let histogramLabels: [[UInt8]]
    /// The `le` value of each finite bucket bound, shared by every breaker of a monitor.
    private let bucketBounds: [[UInt8]]

    private let tracking = Mutex(Tracking())

    private struct Tracking {
        weak var breaker: CircuitBreaker?
        /// The generation the gauges show.
        var generation: UInt64 = 0
        /// Counters created for transitions not in `TransitionPairs` (none so far), should the core gain one.
        var unexpectedTransitions: [Int: Counter] = [:]
    }

    init(
        breaker: BreakerDescription,
        shared: RegistryState,
        histogramBounds: [Int64]?,
        bucketBounds: [[UInt8]]
    ) {
        let name = breaker.name
        let registry = shared.registry
        self.name = name
        self.shared = shared

        func counter(_ family: String, _ labels: [(String, String)]) -> Counter {
            registry.makeCounter(descriptor: MetricFamilies.descriptor(family), labels: [("breaker", name)] + labels)
        }
        func gauge(_ family: String, _ labels: [(String, String)] = []) -> Gauge {
            registry.makeGauge(descriptor: MetricFamilies.descriptor(family), labels: [("breaker", name)] + labels)
        }

        success = counter(MetricFamilies.calls, [("outcome", "success")])
        failure = counter(MetricFamilies.calls, [("outcome", "failure")])
        timeout = counter(MetricFamilies.calls, [("outcome", "timeout")])
        ignored = counter(MetricFamilies.calls, [("outcome", "ignored")])
        rejected = counter(MetricFamilies.calls, [("outcome", "rejected")])
        slow = counter(MetricFamilies.slowCalls, [])
        fallbackSuccess = counter(MetricFamilies.fallbacks, [("result", "success")])
        fallbackFailure = counter(MetricFamilies.fallbacks, [("result", "failure")])
        stateGauges = CircuitState.allCases.map { gauge(MetricFamilies.state, [("state", $0.label)]) }
        stateGauges[Int(CircuitState.closed.rawValue)].set(to: 1)

        var transitions = [Counter?](repeating: nil, count: TransitionPairs.tableSize)
        for (from, to) in TransitionPairs.all {
            transitions[TransitionPairs.index(from: from, to: to)] = counter(
                MetricFamilies.transitions,
                [("from", from.label), ("to", to.label)]
            )
        }
        transitionCounters = transitions

        if case .window = breaker.configuration.trip {
            failureRatio = gauge(MetricFamilies.failureRatio)
            slowCallRatio = gauge(MetricFamilies.slowCallRatio)
        } else {
            failureRatio = nil
            slowCallRatio = nil
        }
        if let threshold = breaker.configuration.trip.failureRatioThreshold {
            let thresholdGauge = gauge(MetricFamilies.failureRatioThreshold)
            thresholdGauge.set(to: threshold)
            failureRatioThreshold = thresholdGauge
        } else {
            failureRatioThreshold = nil
        }
        stateChangeTimestamp = gauge(MetricFamilies.stateChangeTimestamp)

        if let histogramBounds {
            histograms = DurationHistograms(bounds: histogramBounds)
            histogramLabels = ExecutedOutcome.allCases.map { outcome in
                var labels: [UInt8] = []
                labels.appendLabel("breaker", name)
                labels.append(UInt8(ascii: ","))
                labels.appendLabel("outcome", outcome.label)
                return labels
            }
        } else {
            histograms = nil
            histogramLabels = []
        }
        self.bucketBounds = bucketBounds
    }

    // MARK: Lifecycle

    func didAttach(to breaker: CircuitBreaker) {
        tracking.withLock { $0.breaker = breaker }
        refresh(from: breaker)
    }

    func didDetach(from breaker: BreakerDescription) {
        guard shared.remove(self) else { return }
        let registry = shared.registry
        let unexpected = tracking.withLock { tracking in
            tracking.breaker = nil
            return Array(tracking.unexpectedTransitions.values)
        }
        for counter in [success, failure, timeout, ignored, rejected, slow, fallbackSuccess, fallbackFailure]
            + transitionCounters.compactMap({ $0 }) + unexpected
        {
            registry.unregisterCounter(counter)
        }
        for gauge in stateGauges
            + [failureRatio, slowCallRatio, failureRatioThreshold, stateChangeTimestamp]
            .compactMap({ $0 })
        {
            registry.unregisterGauge(gauge)
        }
    }

    var wantsDurations: Bool { histograms != nil }

    // MARK: Calls (the hot path: atomics only)

    func callSucceeded(_ breaker: CircuitBreaker, duration: Duration?) {
        success.increment()
        if let histograms, let duration { histograms.record(duration, outcome: .success) }
    }

    func callFailed(_ breaker: CircuitBreaker, error: any Error, duration: Duration?) {
        failure.increment()
        if let histograms, let duration { histograms.record(duration, outcome: .failure) }
    }

    func callIgnored(_ breaker: CircuitBreaker, error: any Error, duration: Duration?) {
        ignored.increment()
        if let histograms, let duration { histograms.record(duration, outcome: .ignored) }
    }

    func callTimedOut(_ breaker: CircuitBreaker, duration: Duration) {
        timeout.increment()
        histograms?.record(duration, outcome: .timeout)
    }

    func callRejected(_ breaker: CircuitBreaker, state: CircuitState) {
        rejected.increment()
    }

    func slowCall(_ breaker: CircuitBreaker, duration: Duration) {
        slow.increment()
    }

    func fallbackCompleted(_ breaker: CircuitBreaker, reason: FallbackReason, succeeded: Bool) {
        (succeeded ? fallbackSuccess : fallbackFailure).increment()
    }

    // MARK: State

    func stateChanged(_ breaker: CircuitBreaker, transition: StateTransition) {
        let index = TransitionPairs.index(from: transition.from, to: transition.to)
        if let counter = transitionCounters[index] {
            counter.increment()
        } else {
            let registry = shared.registry
            let name = name
            tracking.withLock { tracking in
                let counter =
                    tracking.unexpectedTransitions[index]
                    ?? registry.makeCounter(
                        descriptor: MetricFamilies.descriptor(MetricFamilies.transitions),
                        labels: [("breaker", name), ("from", transition.from.label), ("to", transition.to.label)]
                    )
                tracking.unexpectedTransitions[index] = counter
                counter.increment()
            }
        }
        // Transitions of one breaker can arrive out of order from two threads; the snapshot is current, and is
        // applied only if no newer one was.
        refresh(from: breaker)
    }

    /// Brings the gauges up to date from the breaker's snapshot, if the breaker is still alive.
    func refresh() {
        guard let breaker = tracking.withLock({ $0.breaker }) else { return }
        refresh(from: breaker)
    }

    private func refresh(from breaker: CircuitBreaker) {
        // Taken outside our lock: the breaker's lock is never held while ours is.
        let snapshot = breaker.snapshot()
        tracking.withLock { tracking in
            guard snapshot.generation >= tracking.generation else { return }
            tracking.generation = snapshot.generation
            for state in CircuitState.allCases {
                stateGauges[Int(state.rawValue)].set(to: state == snapshot.state ? 1 : 0)
            }
            stateChangeTimestamp.set(to: snapshot.lastTransitionTimestamp)
            failureRatio?.set(to: snapshot.failureRatio)
            slowCallRatio?.set(to: snapshot.slowCallRatio)
        }
    }

    // MARK: Rendering the histograms

    private static let bucketPrefix: [UInt8] = Array("\(MetricFamilies.callDuration)_bucket{".utf8)
    private static let sumPrefix: [UInt8] = Array("\(MetricFamilies.callDuration)_sum{".utf8)
    private static let countPrefix: [UInt8] = Array("\(MetricFamilies.callDuration)_count{".utf8)

    /// Appends the series of the duration histograms (without the family's HELP and TYPE lines).
    func emitHistograms(into buffer: inout [UInt8]) {
        guard let histograms else { return }
        for outcome in ExecutedOutcome.allCases {
            let labels = histogramLabels[outcome.rawValue]
            var cumulative: Int64 = 0
            for bucket in 0..<histograms.bucketCount {
                cumulative &+= histograms.count(outcome, bucket: bucket)
                buffer.append(contentsOf: Self.bucketPrefix)
                buffer.append(contentsOf: labels)
                buffer.append(contentsOf: #",le=""#.utf8)
                if bucket < bucketBounds.count {
                    buffer.append(contentsOf: bucketBounds[bucket])
                } else {
                    buffer.append(contentsOf: "+Inf".utf8)
                }
                buffer.append(contentsOf: #""} "#.utf8)
                buffer.appendDecimal(cumulative)
                buffer.append(UInt8(ascii: "\n"))
            }
            buffer.append(contentsOf: Self.sumPrefix)
            buffer.append(contentsOf: labels)
            buffer.append(contentsOf: "} ".utf8)
            buffer.append(contentsOf: String(describing: Double(histograms.sumNanoseconds(outcome)) / 1e9).utf8)
            buffer.append(UInt8(ascii: "\n"))
            buffer.append(contentsOf: Self.countPrefix)
            buffer.append(contentsOf: labels)
            buffer.append(contentsOf: "} ".utf8)
            buffer.appendDecimal(cumulative)
            buffer.append(UInt8(ascii: "\n"))
        }
    }
}
