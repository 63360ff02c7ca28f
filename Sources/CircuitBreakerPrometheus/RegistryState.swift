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
        /// The names of the breakers and groups: one namespace, since both are the `breaker` label.
        var names: Set<String> = []
        /// In registration order: the order of the breakers within each family of the exposition.
        var series: [BreakerSeries] = []
        /// The groups of keyed breakers, in registration order.
        var groups: [GroupSeries] = []
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

    /// Adds the series of a group whose name was reserved.
    func add(_ group: GroupSeries) {
        members.withLock { $0.groups.append(group) }
    }

    /// Removes a group and frees its name; returns whether it was a member.
    @discardableResult
    func remove(_ group: GroupSeries) -> Bool {
        members.withLock { members in
            guard let index = members.groups.firstIndex(where: { $0 === group }) else { return false }
            members.groups.remove(at: index)
            members.names.remove(group.name)
            return true
        }
    }

    /// The groups of keyed breakers, in registration order.
    var groups: [GroupSeries] {
        members.withLock { $0.groups }
    }

    // MARK: Rendering

    /// Brings every breaker's gauges up to date, and settles every group's keys.
    func refresh() {
        for series in series { series.refresh() }
        for group in groups { _ = group.refreshedKeys() }
    }

    /// What one rendering reads: the breakers' series followed by each group's aggregate, each prepared for this
    /// scrape (read anew, or reused: see ``SeriesRenderCache``; a reused one's rendering in the format made current
    /// by `prepare`, each under its cache's lock), the reused renderings themselves (held until the rendering has
    /// copied them); and each group's keys (settled).
    private struct Scrape {
        var series: [BreakerSeries]
        var renderings: [ScrapedRendering]
        var retained: [SeriesRenderCache.Rendered]
        var groups: [GroupSeries.Scraped]
    }

    private func scrape(format index: Int, _ prepare: (BreakerSeries) -> Void) -> Scrape {
        let (all, groups) = members.withLock { ($0.series, $0.groups) }
        var renderings: [ScrapedRendering] = []
        renderings.reserveCapacity(all.count &+ groups.count)
        var retained: [SeriesRenderCache.Rendered] = []
        var reused = 0
        for series in all {
            let cache = series.cache
            cache.lock.lock()
            let isReused = series.prepareForScrape()
            if isReused {
                prepare(series)
                reused &+= 1
            }
            renderings.append(cache.scraped(series, format: index, reused: isReused, retaining: &retained))
            cache.lock.unlock()
        }
        lastScrape.withLock { $0 = (reused, all.count &- reused) }
        let scraped = groups.map { group in
            let (keys, count) = group.refreshedKeys()
            // An aggregate is never reused: rendered from its cells, as a breaker read anew.
            renderings.append(ScrapedRendering(series: .passUnretained(group.aggregate)))
            return GroupSeries.Scraped(series: group, keys: keys, keyCount: count)
        }
        return Scrape(
            series: groups.isEmpty ? all : all + groups.map(\.aggregate),
            renderings: renderings,
            retained: retained,
            groups: scraped
        )
    }

    /// How many breakers the last scrape reused and how many it read anew (groups' aggregates aside): the tests
    /// check with it that reuse happens where it may and not where it may not.
    let lastScrape = Locked((reused: 0, read: 0))

    /// Forgets what every breaker rendered, so that the next scrape reads and renders each anew: the exposition
    /// tests compare such a fresh rendering with a reused one.
    func forgetRenderings() {
        let (all, groups) = members.withLock { ($0.series, $0.groups) }
        for series in all { series.cache.lock.withLock { series.cache.invalidate() } }
        for group in groups { group.aggregate.cache.lock.withLock { group.aggregate.cache.invalidate() } }
    }

    /// Appends the exposition of the registry (the service's own metrics and
    /// `circuit_breaker_registrations_rejected_total`), then every breaker family, each grouping the samples of
    /// all breakers under one `# HELP` and `# TYPE`.
    ///
    /// The list of breakers is copied under the members' lock; the rendering runs without it, concurrently with
    /// other scrapes, copying the bytes of the breakers whose series did not change since they were last read and
    /// rendering the others from their cells (see ``SeriesRenderCache``). A family the registry itself already
    /// emitted (other code registered a `circuit_breaker_*` metric of that name in it) is left out, so that the
    /// exposition never holds a family twice.
    func emit(into buffer: inout [UInt8]) {
        var scratch = RenderScratch()
        let scrape = scrape(format: TextFormat.prometheus.cacheIndex) {
            $0.prepareText(as: .prometheus, scratch: &scratch)
        }
        let registryStart = buffer.count
        registry.emit(into: &buffer)
        let shadowed = Self.families(declaredIn: buffer, from: registryStart)
        withExtendedLifetime(scrape) {
            for family in BreakerFamily.allCases where !shadowed.contains(family) {
                render(family, scrape, as: .prometheus, into: &buffer)
            }
        }
    }

    /// One family: from the groups' keys for a group family, else from the breakers and the groups' aggregates.
    private func render(_ family: BreakerFamily, _ scrape: Scrape, as format: TextFormat, into buffer: inout [UInt8]) {
        if family.isGroupFamily {
            GroupSeries.render(family, of: scrape.groups, as: format, into: &buffer)
        } else {
            BreakerSeries.render(family, of: scrape.renderings, as: format, into: &buffer)
        }
    }

    /// Appends the same exposition in OpenMetrics 1.0, without the closing `# EOF`: the registry's families
    /// converted from its text (see ``RegistryFamily``), then every breaker family with OpenMetrics headers and the
    /// exemplars of the duration buckets.
    func emitOpenMetrics(into buffer: inout [UInt8]) {
        var scratch = RenderScratch()
        let scrape = scrape(format: TextFormat.openMetrics.cacheIndex) {
            $0.prepareText(as: .openMetrics, scratch: &scratch)
        }
        let families = registryFamilies()
        for family in families { family.appendOpenMetrics(into: &buffer) }
        let shadowed = Self.families(named: families)
        withExtendedLifetime(scrape) {
            for family in BreakerFamily.allCases where !shadowed.contains(family) {
                render(family, scrape, as: .openMetrics, into: &buffer)
            }
        }
    }

    /// Appends the same exposition as delimited protobuf `MetricFamily` messages: the registry's families through
    /// swift-protobuf, then every breaker family, hand-encoded (native histograms whole, where configured).
    func emitProtobuf(into buffer: inout [UInt8]) {
        var scratch = RenderScratch()
        let scrape = scrape(format: SeriesRenderCache.protobufIndex) {
            $0.prepareProtobuf(scratch: &scratch)
        }
        var families = registryFamilies()
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
        withExtendedLifetime(scrape) {
            for family in BreakerFamily.allCases where !shadowed.contains(family) {
                if family.isGroupFamily {
                    GroupSeries.encode(family, of: scrape.groups, into: &buffer)
                } else {
                    BreakerSeries.encode(family, of: scrape.renderings, scratch: &scratch, into: &buffer)
                }
            }
        }
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
