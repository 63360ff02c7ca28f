import CircuitBreakerInternals

/// The bound metrics of one ``MetricsMonitor``, for ``MetricsMonitor/refresh()``: its breakers' and its groups'.
final class BoundMetricsList: Sendable {
    private let members = Locked<(breakers: [BoundMetrics], groups: [GroupMetrics])>(([], []))

    func add(_ metrics: BoundMetrics) {
        members.withLock { $0.breakers.append(metrics) }
    }

    func remove(_ metrics: BoundMetrics) {
        members.withLock { $0.breakers.removeAll { $0 === metrics } }
    }

    func add(_ group: GroupMetrics) {
        members.withLock { $0.groups.append(group) }
    }

    func remove(_ group: GroupMetrics) {
        members.withLock { $0.groups.removeAll { $0 === group } }
    }

    func refreshAll() {
        let (breakers, groups) = members.withLock { $0 }
        for metrics in breakers { metrics.refresh() }
        for group in groups { group.refresh() }
    }
}
