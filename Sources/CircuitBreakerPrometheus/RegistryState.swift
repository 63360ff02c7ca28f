import Prometheus
import Synchronization

/// What every ``PrometheusMonitor`` on one `PrometheusCollectorRegistry` shares: the breakers whose series the
/// registry holds, so that a name is registered once, the breaker limit counts them all, and one rendering holds
/// all their duration histograms in one family.
///
/// Monitors find it through a process-wide table keyed by the registry's identity. The table holds the registry
/// and the state weakly, so it keeps nothing alive; the monitors and their bound breakers hold the state.
final class RegistryState: Sendable {
    let registry: PrometheusCollectorRegistry
    /// `circuit_breaker_registrations_rejected_total`.
    let registrationsRejected: Counter
    private let members = Mutex(Members())

    private struct Members {
        var names: Set<String> = []
        var series: [BreakerSeries] = []
    }

    private init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
        self.registrationsRejected = registry.makeCounter(
            descriptor: MetricFamilies.descriptor(MetricFamilies.registrationsRejected)
        )
    }

    // MARK: Sharing one state per registry

    private struct Entry {
        weak var registry: PrometheusCollectorRegistry?
        weak var state: RegistryState?
    }

    private static let table = Mutex<[ObjectIdentifier: Entry]>([:])

    /// The state of `registry`, created on first use.
    static func shared(for registry: PrometheusCollectorRegistry) -> RegistryState {
        table.withLock { entries in
            let key = ObjectIdentifier(registry)
            if let entry = entries[key], entry.registry === registry, let state = entry.state {
                return state
            }
            entries = entries.filter { $0.value.registry != nil && $0.value.state != nil }
            let state = RegistryState(registry: registry)
            entries[key] = Entry(registry: registry, state: state)
            return state
        }
    }

    // MARK: Members

    private enum Reservation {
        case reserved
        case duplicate
        case full
    }

    /// Reserves `name`, or throws if it is taken or the registry holds `limit` breakers already.
    func reserve(_ name: String, limit: Int) throws(PrometheusMonitorError) {
        let reservation = members.withLock { members -> Reservation in
            if members.names.contains(name) { return .duplicate }
            if members.names.count >= limit { return .full }
            members.names.insert(name)
            return .reserved
        }
        switch reservation {
        case .reserved:
            return
        case .duplicate:
            throw PrometheusMonitorError(.duplicateBreakerName, breakerName: name)
        case .full:
            registrationsRejected.increment()
            throw PrometheusMonitorError(.tooManyBreakers, breakerName: name, limit: limit)
        }
    }

    /// Adds the series of a reserved name.
    func add(_ series: BreakerSeries) {
        members.withLock { $0.series.append(series) }
    }

    /// Removes `series` and frees its name; returns whether it was a member (so that it is unregistered once).
    func remove(_ series: BreakerSeries) -> Bool {
        members.withLock { members in
            guard let index = members.series.firstIndex(where: { $0 === series }) else { return false }
            members.series.remove(at: index)
            members.names.remove(series.name)
            return true
        }
    }

    /// The series of every registered breaker, in registration order.
    var series: [BreakerSeries] {
        members.withLock { $0.series }
    }

    // MARK: Rendering

    private static let histogramHeader: [UInt8] = Array(
        """
        # HELP \(MetricFamilies.callDuration) \(MetricFamilies.help[MetricFamilies.callDuration] ?? "")
        # TYPE \(MetricFamilies.callDuration) histogram

        """.utf8
    )

    /// Brings every breaker's gauges up to date.
    func refresh() {
        for series in series { series.refresh() }
    }

    /// Appends the exposition of the registry and then the duration histograms, which swift-prometheus does not
    /// hold (see ``DurationHistograms``).
    func emit(into buffer: inout [UInt8]) {
        let all = series
        for series in all { series.refresh() }
        registry.emit(into: &buffer)
        var headerWritten = false
        for series in all where series.histograms != nil {
            if !headerWritten {
                buffer.append(contentsOf: Self.histogramHeader)
                headerWritten = true
            }
            series.emitHistograms(into: &buffer)
        }
    }
}
