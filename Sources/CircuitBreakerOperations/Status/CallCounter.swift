import CircuitBreaker
import CircuitBreakerInternals
import Synchronization

/// Counts the calls of every breaker it is attached to, so that the status API can report call and rejection
/// counts and the status page can show rates.
///
/// It observes calls, so it costs the call path one relaxed atomic increment (plus the dispatch to a monitor):
/// measured in `Benchmarks/Benchmarks/OperationsBenchmarks`. Leave it out with
/// ``BreakerOperations/Configuration-swift.struct/countsCalls`` `= false` when that matters more than rates on the
/// page; the API then reports `"calls": null`. Counts are kept per breaker name: two breakers of one name (in two
/// registries) share a row. A group's keys are counted each on its own (``GroupCallCounter``), and forgotten
/// with the key when the group evicts it.
final class CallCounter: BreakerMonitor {
    private let counters = Locked<[String: BreakerCallCounter]>([:])

    func bind(to breaker: BreakerDescription) throws -> any BreakerMonitor {
        counters.withLock { counters in
            if let existing = counters[breaker.name] { return existing }
            let created = BreakerCallCounter(owner: self, name: breaker.name)
            counters[breaker.name] = created
            return created
        }
    }

    func bind(toGroup group: BreakerGroupDescription) throws -> any BreakerMonitor {
        GroupCallCounter(owner: self)
    }

    private struct GroupEntry: @unchecked Sendable {
        // Safety (@unchecked Sendable): a weak reference to a Sendable class, only read and written under the
        // counter's lock.
        weak var group: BreakerGroup?
        let counter: GroupCallCounter
    }

    private let groups = Locked<[ObjectIdentifier: GroupEntry]>([:])

    /// The counter of `group`'s keys, if this counter is attached to it.
    func counter(of group: BreakerGroup) -> GroupCallCounter? {
        groups.withLock { groups in
            guard let entry = groups[ObjectIdentifier(group)], entry.group === group else { return nil }
            return entry.counter
        }
    }

    fileprivate func register(_ group: BreakerGroup, _ counter: GroupCallCounter) {
        groups.withLock { groups in
            groups = groups.filter { $0.value.group != nil }
            groups[ObjectIdentifier(group)] = GroupEntry(group: group, counter: counter)
        }
    }

    fileprivate func unregister(_ counter: GroupCallCounter) {
        groups.withLock { groups in groups = groups.filter { $0.value.counter !== counter } }
    }

    /// The counts of the breaker called `name`, if this counter is attached to one.
    func counts(of name: String) -> CallCounts? {
        counters.withLock { $0[name] }?.counts
    }

    /// The counts of every breaker, by name, read under one lock (for a status list).
    func allCounts() -> [String: BreakerCallCounter] {
        counters.withLock { $0 }
    }

    fileprivate func forget(_ name: String) {
        counters.withLock { _ = $0.removeValue(forKey: name) }
    }
}

/// The call counts of one group's breakers, by key (the overflow breaker under `nil`).
final class GroupCallCounter: BreakerMonitor {
    private weak let owner: CallCounter?
    private let counters = Locked<[String?: BreakerCallCounter]>([:])

    fileprivate init(owner: CallCounter) {
        self.owner = owner
    }

    func didAttach(toGroup group: BreakerGroup) {
        owner?.register(group, self)
    }

    func didDetach(fromGroup group: BreakerGroupDescription) {
        owner?.unregister(self)
    }

    func bind(to breaker: BreakerDescription) throws -> any BreakerMonitor {
        let created = BreakerCallCounter(group: self, key: breaker.key)
        counters.withLock { $0[breaker.key] = created }
        return created
    }

    /// The counts of `key` (`nil`: the overflow breaker), if the group holds it.
    func counts(of key: String?) -> CallCounts? {
        counters.withLock { $0[key] }?.counts
    }

    fileprivate func forget(_ key: String?, _ counter: BreakerCallCounter) {
        counters.withLock { counters in
            if counters[key] === counter { counters[key] = nil }
        }
    }
}

/// The counts of one breaker: the monitor ``CallCounter`` binds to it.
final class BreakerCallCounter: BreakerMonitor {
    /// Weak: the breaker holds this monitor, and the counter need not outlive the operations that made it.
    private weak let owner: CallCounter?
    private weak let group: GroupCallCounter?
    private let name: String
    private let key: String?
    private let executed = Atomic<Int>(0)
    private let failed = Atomic<Int>(0)
    private let rejected = Atomic<Int>(0)
    private let shadowRejected = Atomic<Int>(0)

    fileprivate init(owner: CallCounter, name: String) {
        self.owner = owner
        self.group = nil
        self.name = name
        self.key = nil
    }

    fileprivate init(group: GroupCallCounter, key: String?) {
        self.owner = nil
        self.group = group
        self.name = ""
        self.key = key
    }

    /// The counts now (each read on its own: a call may land between two reads).
    var counts: CallCounts {
        CallCounts(
            executed: executed.load(ordering: .relaxed),
            failed: failed.load(ordering: .relaxed),
            rejected: rejected.load(ordering: .relaxed),
            shadowRejected: shadowRejected.load(ordering: .relaxed)
        )
    }

    func didDetach(from breaker: BreakerDescription) {
        owner?.forget(name)
        group?.forget(key, self)
    }

    func callSucceeded(_ breaker: CircuitBreaker, duration: Duration?) {
        executed.add(1, ordering: .relaxed)
    }

    func callIgnored(_ breaker: CircuitBreaker, error: any Error, duration: Duration?) {
        executed.add(1, ordering: .relaxed)
    }

    func callFailed(_ breaker: CircuitBreaker, error: any Error, duration: Duration?) {
        executed.add(1, ordering: .relaxed)
        failed.add(1, ordering: .relaxed)
    }

    func callTimedOut(_ breaker: CircuitBreaker, duration: Duration) {
        executed.add(1, ordering: .relaxed)
        failed.add(1, ordering: .relaxed)
    }

    func callRejected(_ breaker: CircuitBreaker, state: CircuitState) {
        rejected.add(1, ordering: .relaxed)
    }

    func callShadowRejected(_ breaker: CircuitBreaker, state: CircuitState) {
        shadowRejected.add(1, ordering: .relaxed)
    }
}
