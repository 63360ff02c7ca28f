public import CircuitBreaker
public import CoreMetrics

/// Reports breakers through the swift-metrics facade, for backends such as StatsD or OpenTelemetry.
///
/// ```swift
/// let monitor = MetricsMonitor()                       // the factory of MetricsSystem.bootstrap
/// let monitor = MetricsMonitor(factory: testMetrics)   // or any factory, e.g. MetricsTestKit's TestMetrics
/// ```
///
/// The signals are those of the Prometheus metric contract, under the same labels and dimensions:
///
/// | label | kind | dimensions |
/// |---|---|---|
/// | `circuit_breaker_calls_total` | counter | `breaker`, `outcome` (success, failure, timeout, ignored, rejected; shadow_rejected for shadow breakers) |
/// | `circuit_breaker_call_duration_seconds` | timer (with ``recordsDurations``) | `breaker`, `outcome` |
/// | `circuit_breaker_slow_calls_total` | counter | `breaker` |
/// | `circuit_breaker_transitions_total` | counter | `breaker`, `from`, `to` |
/// | `circuit_breaker_fallbacks_total` | counter | `breaker`, `result` |
/// | `circuit_breaker_state` | meter, 1 or 0 | `breaker`, `state` |
/// | `circuit_breaker_failure_ratio`, `circuit_breaker_slow_call_ratio` | meter (window policies) | `breaker` |
/// | `circuit_breaker_failure_ratio_threshold` | meter (failure-ratio policies) | `breaker` |
/// | `circuit_breaker_state_change_timestamp_seconds` | meter | `breaker` |
/// | `circuit_breaker_state_seconds_total` | floating-point counter, advanced at each refresh | `breaker`, `state` |
/// | `circuit_breaker_overrides_total` | counter | `breaker`, `action` (force_open, disable, reset) |
/// | `circuit_breaker_override_expiry_timestamp_seconds` | meter (0 without an override) | `breaker` |
///
/// A ``/CircuitBreaker/BreakerGroup`` reports as the Prometheus monitor does: per key `circuit_breaker_key_state`
/// (meter), `circuit_breaker_key_calls_total` and `circuit_breaker_key_transitions_total` (counters) with
/// dimensions `breaker` (the group) and `key` (none for the group's overflow breaker), an operator's transitions
/// from their first occurrence; per group `circuit_breaker_group_keys` and `circuit_breaker_group_max_keys`
/// (meters), `circuit_breaker_group_evictions_total`, `circuit_breaker_group_overflow_total` (with `policy`), and
/// the durations, slow calls and fallbacks of all its keys under the group's name. Per-key timers
/// (`circuit_breaker_key_call_duration_seconds`) only with ``perKeyDurations``.
///
/// Every handle is created at bind time, so an event calls a handler it already holds. The state, timestamp and
/// ratio meters, and the time-in-state counters, are set from the breaker's snapshot on every transition and by
/// ``refresh()``; call it on a timer (or before each scrape) if your backend samples between transitions.
/// swift-metrics has no counter that is set to a value, so the time in each state is reported as increments: the
/// growth since the previous refresh. A breaker removed from its registry destroys its metrics.
public final class MetricsMonitor: BreakerMonitor {
    /// The factory the metrics are created with.
    public let factory: any MetricsFactory
    /// Whether calls are timed (`circuit_breaker_call_duration_seconds`); it makes breakers read a precise clock
    /// twice per call.
    public let recordsDurations: Bool
    /// Whether each key of a group also gets its own timers (with ``recordsDurations``); off by default, since a
    /// group's durations are timed once for all its keys.
    public let perKeyDurations: Bool

    private let bound = BoundMetricsList()

    /// Creates a monitor creating its metrics with `factory`: by default the one `MetricsSystem` was bootstrapped
    /// with (pass one explicitly in tests instead of bootstrapping a global).
    public init(
        factory: any MetricsFactory = MetricsSystem.factory,
        recordsDurations: Bool = false,
        perKeyDurations: Bool = false
    ) {
        self.factory = factory
        self.recordsDurations = recordsDurations
        self.perKeyDurations = perKeyDurations
    }

    /// Creates the breaker's metrics and returns the monitor that records into them.
    public func bind(to breaker: BreakerDescription) throws -> any BreakerMonitor {
        let metrics = BoundMetrics(breaker: breaker, factory: factory, recordsDurations: recordsDurations, list: bound)
        bound.add(metrics)
        return metrics
    }

    /// Creates a group's metrics and returns the monitor its keys are bound to.
    public func bind(toGroup group: BreakerGroupDescription) throws -> any BreakerMonitor {
        let metrics = GroupMetrics(
            group: group,
            factory: factory,
            recordsDurations: recordsDurations,
            perKeyDurations: perKeyDurations,
            list: bound
        )
        bound.add(metrics)
        return metrics
    }

    /// ``recordsDurations``.
    public var wantsDurations: Bool { recordsDurations }

    /// Sets the state, timestamp and ratio meters of every attached breaker from its snapshot, and settles the keys
    /// of every group (``/CircuitBreaker/BreakerGroup/settleStates()``), whose state meters then follow.
    public func refresh() {
        bound.refreshAll()
    }
}
