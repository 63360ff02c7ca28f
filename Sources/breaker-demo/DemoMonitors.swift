import CircuitBreaker
import CircuitBreakerMonitors
import CircuitBreakerPrometheus
import MetricsExporter
import Prometheus

/// The monitor that exports the demo's breakers, chosen by `--metrics-backend`, and what `/metrics` serves.
///
/// - `prometheus` (the default): ``PrometheusMonitor`` stores and renders the breaker series by hand, in all three
///   exposition formats (text 0.0.4, OpenMetrics with exemplars, protobuf with optional native histograms).
/// - `swift-metrics`: ``MetricsMonitor`` reports the same contract through the swift-metrics facade, into
///   swift-prometheus's `PrometheusMetricsFactory` on the same registry; swift-prometheus renders it, in text 0.0.4
///   only. The monitor's gauges and time-in-state counters are refreshed before each scrape.
struct DemoMonitors {
    /// The monitor attached to every breaker.
    let monitor: any BreakerMonitor
    /// The Prometheus monitor, when it is the backend (the calibration breaker records into it).
    let prometheusMonitor: PrometheusMonitor?
    /// What `/metrics` serves.
    let exposition: ExpositionSources

    init(_ options: DemoOptions) {
        let registry = PrometheusCollectorRegistry()
        switch options.metricsBackend {
        case .prometheus:
            let monitor = PrometheusMonitor(
                registry: registry,
                configuration: .init(
                    recordsDurations: true,
                    maximumBreakers: max(1_000, options.extraBreakers + 6),
                    durationHistogram: options.nativeHistograms ? .native : .classic,
                    exemplarTraceIDs: DemoTracing.source
                )
            )
            self.monitor = monitor
            self.prometheusMonitor = monitor
            self.exposition = ExpositionSources(
                text: { buffer in monitor.emit(into: &buffer) },
                openMetrics: { buffer in monitor.emitOpenMetrics(into: &buffer) },
                protobuf: { buffer in monitor.emitProtobuf(into: &buffer) }
            )
        case .swiftMetrics:
            let monitor = MetricsMonitor(factory: PrometheusMetricsFactory(registry: registry), recordsDurations: true)
            self.monitor = monitor
            self.prometheusMonitor = nil
            self.exposition = ExpositionSources(text: { buffer in
                monitor.refresh()
                registry.emit(into: &buffer)
            })
        }
    }
}

/// `--metrics-backend`: which monitor exports the breakers.
enum MetricsBackend: String, Sendable, CaseIterable {
    case prometheus
    case swiftMetrics = "swift-metrics"
}
