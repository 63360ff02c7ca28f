import CircuitBreakerInternals
import Prometheus
import PrometheusClientModel
import Synchronization

/// What every ``PrometheusMonitor`` on one `PrometheusCollectorRegistry` shares: the breakers exported with the
/// registry, so that a name is registered once, the breaker limit counts them all, and one rendering groups all
/// their samples by family.
///
/// Monitors find it through a process-wide table keyed by the registry's identity. The table holds the registry
/// and the state weakly, so it keeps nothing alive; the monitors and their bound breakers hold the state.
final class RegistryState: Sendable {
    let registry: PrometheusCollectorRegistry
    /// `circuit_breaker_registrations_rejected_total`.
    let registrationsRejected: Counter
    private let members = Locked(Members())

    private struct Members {
        var names: Set<String> = []
        /// In registration order: the order of the breakers within each family of the exposition.
        var series: [BreakerSeries] = []
    }

    private init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
        self.registrationsRejected = registry.makeCounter(
            descriptor: MetricNameDescriptor(
                metricName: MetricContract.registrationsRejected.name,
                unitName: "",
                helpText: MetricContract.registrationsRejected.help
            )
        )
    }

    // MARK: Sharing one state per registry

    private struct Entry {
        weak var registry: PrometheusCollectorRegistry?
        weak var state: RegistryState?
    }

    private static let table = Locked<[ObjectIdentifier: Entry]>([:])

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

    /// Brings every breaker's gauges up to date.
    func refresh() {
        for series in series { series.refresh() }
    }

    /// Appends the exposition of the registry (the service's own metrics and
    /// `circuit_breaker_registrations_rejected_total`), then every breaker family, each grouping the samples of
    /// all breakers under one `# HELP` and `# TYPE`.
    ///
    /// The list of breakers is copied under the lock; the rendering runs without it, reading atomics only. A family
    /// the registry itself already emitted (other code registered a `circuit_breaker_*` metric of that name in it)
    /// is left out, so that the exposition never holds a family twice.
    func emit(into buffer: inout [UInt8]) {
        let all = series
        for series in all { series.refresh() }
        let registryStart = buffer.count
        registry.emit(into: &buffer)
        let shadowed = Self.families(declaredIn: buffer, from: registryStart)
        for family in BreakerFamily.allCases where !shadowed.contains(family) {
            BreakerSeries.render(family, of: all, as: .prometheus, into: &buffer)
        }
    }

    /// Appends the same exposition in OpenMetrics 1.0, without the closing `# EOF`: the registry's families
    /// converted from its text (see ``RegistryFamily``), then every breaker family with OpenMetrics headers and the
    /// exemplars of the duration buckets.
    func emitOpenMetrics(into buffer: inout [UInt8]) {
        let (all, families) = refreshedSeriesAndRegistryFamilies()
        for family in families { family.appendOpenMetrics(into: &buffer) }
        let shadowed = Self.families(named: families)
        for family in BreakerFamily.allCases where !shadowed.contains(family) {
            BreakerSeries.render(family, of: all, as: .openMetrics, into: &buffer)
        }
    }

    /// Appends the same exposition as delimited protobuf `MetricFamily` messages: the registry's families through
    /// swift-protobuf, then every breaker family, hand-encoded (native histograms whole, where configured).
    func emitProtobuf(into buffer: inout [UInt8]) {
        let (all, converted) = refreshedSeriesAndRegistryFamilies()
        var families = converted
        var failures: [PrometheusMonitorError] = []
        families.removeAll { family in
            do {
                try family.protobufMessage.appendDelimited(to: &buffer)
                return false
            } catch {
                let detail = "\(family.name): \(error)"
                failures.append(PrometheusMonitorError(.unconvertibleRegistryFamily, breakerName: "", detail: detail))
                return true
            }
        }
        if !failures.isEmpty { conversionErrors.withLock { $0 = failures } }
        let shadowed = Self.families(named: families)
        for family in BreakerFamily.allCases where !shadowed.contains(family) {
            BreakerSeries.encode(family, of: all, into: &buffer)
        }
    }

    /// Every breaker's series, gauges refreshed, and the registry's families.
    private func refreshedSeriesAndRegistryFamilies() -> ([BreakerSeries], [RegistryFamily]) {
        let all = series
        for series in all { series.refresh() }
        return (all, registryFamilies())
    }

    /// The registry's families, parsed from its text; a family that does not parse is left out, and
    /// ``conversionErrors`` says why.
    private func registryFamilies() -> [RegistryFamily] {
        var text: [UInt8] = []
        registry.emit(into: &text)
        let (families, errors) = RegistryExpositionParser.parse(text)
        if !errors.isEmpty {
            let converted = errors.map {
                PrometheusMonitorError(
                    .unconvertibleRegistryFamily,
                    breakerName: "",
                    detail: "\($0.reason): \($0.line)"
                )
            }
            conversionErrors.withLock { $0 = converted }
        }
        return families
    }

    /// The errors of the last conversion of the registry's families that had any.
    let conversionErrors = Locked<[PrometheusMonitorError]>([])

    /// The breaker families among `families` (by name), which the registry emits itself.
    static func families(named families: [RegistryFamily]) -> Set<BreakerFamily> {
        Set(families.compactMap { BreakerFamily(name: $0.name.utf8) })
    }

    /// The breaker families that `# TYPE` lines of `buffer[start...]` declare.
    static func families(declaredIn buffer: [UInt8], from start: Int) -> Set<BreakerFamily> {
        let marker = Array("# TYPE circuit_breaker_".utf8)
        var found: Set<BreakerFamily> = []
        buffer.withUnsafeBufferPointer { bytes in
            var lineStart = start
            while lineStart < bytes.count {
                var lineEnd = lineStart
                while lineEnd < bytes.count && bytes[lineEnd] != UInt8(ascii: "\n") { lineEnd += 1 }
                let line = bytes[lineStart..<lineEnd]
                if line.starts(with: marker) {
                    let nameStart = lineStart + 7
                    var nameEnd = nameStart
                    while nameEnd < lineEnd && bytes[nameEnd] != UInt8(ascii: " ") { nameEnd += 1 }
                    if let family = BreakerFamily(name: bytes[nameStart..<nameEnd]) { found.insert(family) }
                }
                lineStart = lineEnd + 1
            }
        }
        return found
    }
}
