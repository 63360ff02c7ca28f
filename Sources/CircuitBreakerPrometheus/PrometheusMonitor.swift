public import CircuitBreaker
public import Prometheus

/// Exports the breakers it is attached to as Prometheus metrics, on a swift-prometheus
/// `PrometheusCollectorRegistry`.
///
/// ```swift
/// let prometheus = PrometheusCollectorRegistry()
/// MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: prometheus))   // the service's own metrics, if any
/// let monitor = PrometheusMonitor(registry: prometheus)
/// let breakers = BreakerRegistry(monitors: [monitor])
/// let payments = try breakers.breaker(named: "payments")
///
/// // GET /metrics:
/// var body: [UInt8] = []
/// monitor.emit(into: &body)   // the service's metrics and the breakers', gauges refreshed
/// ```
///
/// Each breaker gets the series of the metric contract (see the getting-started article) at bind time, all at 0,
/// stored by the monitor itself in one block of atomics per breaker: the hot path is one relaxed atomic add per
/// call, two more with ``Configuration-swift.struct/recordsDurations``. Serve the exposition with ``emit(into:)``:
/// it refreshes the gauges (state, ratios, timestamp) from each breaker's snapshot, emits the registry (the
/// service's own metrics), then the breakers' families, each family's samples grouped under one `# HELP` and
/// `# TYPE`. The registry's own rendering holds none of the breakers' series.
///
/// Every ``PrometheusMonitor`` on one registry shares its table of breakers: a breaker name is registered once,
/// ``Configuration-swift.struct/maximumBreakers`` counts them all, and ``emit(into:)`` on any of them renders all.
/// A breaker removed from its ``/CircuitBreaker/BreakerRegistry`` takes its series with it.
///
/// The names `circuit_breaker_*` belong to the monitor: should other code register a family of one of its names in
/// the registry, the registry's family is emitted and the breakers' samples of it are left out, so that the
/// exposition stays valid (one family, one `# TYPE`).
///
/// The monitor runs on the calling thread, synchronously, like every ``/CircuitBreaker/BreakerMonitor``.
public final class PrometheusMonitor: BreakerMonitor {
    /// The registry whose output ``emit(into:)`` serves before the breakers' series; it holds the service's own
    /// metrics and `circuit_breaker_registrations_rejected_total`.
    public let registry: PrometheusCollectorRegistry
    /// How the monitor records.
    public let configuration: Configuration

    let shared: RegistryState
    /// How durations are recorded, shared by every breaker; nil without durations.
    private let durations: DurationRecording?

    /// Creates a monitor recording into `registry` (a new one by default: pass the registry your service serves).
    public init(
        registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry(),
        configuration: Configuration = .default
    ) {
        self.registry = registry
        self.configuration = configuration
        self.shared = RegistryState.shared(for: registry)
        self.durations = configuration.recordsDurations ? DurationRecording(configuration: configuration) : nil
    }

    /// Registers every series of the breaker (at 0) and returns the monitor that will update them.
    ///
    /// - Throws: ``PrometheusMonitorError`` with ``PrometheusMonitorError/Code/tooManyBreakers`` once the registry
    ///   holds ``Configuration-swift.struct/maximumBreakers`` breakers, or
    ///   ``PrometheusMonitorError/Code/duplicateBreakerName`` if a breaker of that name is registered already.
    public func bind(to breaker: BreakerDescription) throws -> any BreakerMonitor {
        try shared.reserve(breaker.name, limit: configuration.maximumBreakers)
        let series = BreakerSeries(breaker: breaker, shared: shared, durations: durations)
        shared.add(series)
        return series
    }

    /// Registers the series of a group of keyed breakers and returns the monitor its breakers are bound to.
    ///
    /// A group is one name among the registry's breakers: it counts once towards
    /// ``Configuration-swift.struct/maximumBreakers``, and its keys are bounded by the group's own
    /// ``/CircuitBreaker/BreakerGroup/Configuration-swift.struct/maximumKeys``. Each key exports its state, calls by
    /// outcome and transitions with labels `breaker` (the group) and `key`
    /// (``Configuration-swift.struct/perKeyDurationHistograms`` adds its own duration histograms); the group exports
    /// its key count, cap, evictions and overflows, and the durations, slow calls and fallbacks of all its keys
    /// under its name. An evicted key's series leave the exposition at the next scrape.
    ///
    /// - Throws: ``PrometheusMonitorError`` as ``bind(to:)`` does, for the group's name.
    public func bind(toGroup group: BreakerGroupDescription) throws -> any BreakerMonitor {
        try shared.reserve(group.name, limit: configuration.maximumBreakers)
        let series = GroupSeries(
            group: group,
            shared: shared,
            durations: durations,
            perKeyHistograms: configuration.perKeyDurationHistograms
        )
        shared.add(series)
        return series
    }

    /// Whether breakers should measure call durations: ``Configuration-swift.struct/recordsDurations``.
    public var wantsDurations: Bool { configuration.recordsDurations }

    /// The names of the breakers exported with the registry (by every monitor on it), sorted.
    public var breakerNames: [String] {
        shared.series.map(\.name).sorted()
    }

    /// Sets every breaker's state, ratio and timestamp gauges from its snapshot, and settles the keys of every group
    /// (``/CircuitBreaker/BreakerGroup/settleStates()``).
    ///
    /// ``emit(into:)`` calls it before rendering; you need not. Between refreshes, the state and timestamp gauges
    /// follow transitions as they happen, and the ratio gauges move only on transitions.
    public func refresh() {
        shared.refresh()
    }

    /// Refreshes the gauges and appends the Prometheus text exposition (format 0.0.4): the registry's output, then
    /// every breaker family (each family's `# HELP` and `# TYPE` once, then the samples of all breakers).
    ///
    /// Its signature fits an exposition source of a metrics server: `source: monitor.emit(into:)`.
    public func emit(into buffer: inout [UInt8]) {
        shared.emit(into: &buffer)
    }

    /// The exposition of ``emit(into:)`` as a string.
    public func emitToString() -> String {
        var buffer: [UInt8] = []
        emit(into: &buffer)
        return String(decoding: buffer, as: UTF8.self)
    }
}
