import CircuitBreaker
import CircuitBreakerInternals

/// The groups the operations monitor is attached to, so that the status API lists groups created outside the
/// registry too (a `BreakerGroup` made with `operations.monitors`, or by an integration such as the AsyncHTTPClient
/// one). Weak: a group the application lets go leaves the list; one removed from its registry is removed here
/// when its monitors are detached.
final class GroupDirectory: Sendable {
    /// A group and the monitor bound to it.
    struct Entry: Sendable {
        let group: BreakerGroup
        let monitor: GroupOperationsMonitor
    }

    private struct WeakEntry: @unchecked Sendable {
        // Safety (@unchecked Sendable): a weak reference to a Sendable class and a Sendable class, only read and
        // written under the directory's lock.
        weak var group: BreakerGroup?
        let monitor: GroupOperationsMonitor
    }

    private let entries = Locked<[ObjectIdentifier: WeakEntry]>([:])

    /// Lists `group`, bound to `monitor`.
    func add(_ group: BreakerGroup, monitor: GroupOperationsMonitor) {
        entries.withLock { $0[ObjectIdentifier(monitor)] = WeakEntry(group: group, monitor: monitor) }
    }

    /// Stops listing the group bound to `monitor`.
    func remove(_ monitor: GroupOperationsMonitor) {
        entries.withLock { _ = $0.removeValue(forKey: ObjectIdentifier(monitor)) }
    }

    /// Every group listed and still alive, sorted by name (groups that share a name: the first created first).
    func all() -> [Entry] {
        entries.withLock { entries in
            entries = entries.filter { $0.value.group != nil }
            return entries.values.compactMap { weak in weak.group.map { Entry(group: $0, monitor: weak.monitor) } }
        }
        .sorted { $0.group.name < $1.group.name }
    }

    /// The monitor bound to `group`, if it is listed.
    func monitor(of group: BreakerGroup) -> GroupOperationsMonitor? {
        entries.withLock { entries in entries.values.first { $0.group === group }?.monitor }
    }
}
