import CircuitBreaker
import CircuitBreakerInternals

/// The groups the operations monitor is attached to, so that the status API lists groups created outside the
/// registry too (a `BreakerGroup` made with `operations.monitors`, or by an integration such as the AsyncHTTPClient
/// one). Weak: a group the application lets go leaves the list; one removed from its registry is removed here
/// when its monitors are detached. The monitor is held weakly too: it holds the operations monitor that holds this
/// directory, so a strong reference would be a cycle that outlives the group (LeakSanitizer found it); the group
/// keeps its bound monitor alive for as long as the group lives.
final class GroupDirectory: Sendable {
    /// A group and the monitor bound to it.
    struct Entry: Sendable {
        let group: BreakerGroup
        let monitor: GroupOperationsMonitor
    }

    private struct WeakEntry: @unchecked Sendable {
        // Safety (@unchecked Sendable): weak references to two Sendable classes, only read and written under the
        // directory's lock.
        weak var group: BreakerGroup?
        weak var monitor: GroupOperationsMonitor?
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
            entries = entries.filter { $0.value.group != nil && $0.value.monitor != nil }
            return entries.values.compactMap { weak -> Entry? in
                guard let group = weak.group, let monitor = weak.monitor else { return nil }
                return Entry(group: group, monitor: monitor)
            }
        }
        .sorted { $0.group.name < $1.group.name }
    }

    /// The monitor bound to `group`, if it is listed.
    func monitor(of group: BreakerGroup) -> GroupOperationsMonitor? {
        entries.withLock { entries in entries.values.first { $0.group === group }?.monitor }
    }
}
