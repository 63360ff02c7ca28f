import CircuitBreakerInternals

/// The bound metrics of one ``MetricsMonitor``, for ``MetricsMonitor/refresh()``.
final class BoundMetricsList: Sendable {
    private let members = Locked<[BoundMetrics]>([])

    func add(_ metrics: BoundMetrics) {
        members.withLock { $0.append(metrics) }
    }

    func remove(_ metrics: BoundMetrics) {
        members.withLock { $0.removeAll { $0 === metrics } }
    }

    func refreshAll() {
        for metrics in members.withLock({ $0 }) { metrics.refresh() }
    }
}
