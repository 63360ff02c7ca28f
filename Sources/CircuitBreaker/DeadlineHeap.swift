/// Something that happens at a deadline unless it is claimed first: an invocation timeout, or a sleep on a
/// ``ManualClock``. It lives in a ``DeadlineScheduler``'s heap from the moment it is armed until it is claimed, by
/// the scheduler when the deadline passes or by whoever finishes it first; so the heap holds only live deadlines.
///
/// A subclass says what expiry does (``expire()``).
// Safety (@unchecked Sendable): `deadline`, `sequence`, `heapIndex` and `claimed` are read and written only with the
// lock of the one scheduler the entry is armed on held (see `DeadlineScheduler`); subclasses state the same for
// their own mutable fields. The lock also makes every access exclusive, so the dynamic exclusivity checks (a
// runtime call per access, measured at about 50 instructions each) are left out.
@usableFromInline
class ScheduledDeadline: @unchecked Sendable {
    /// When it expires, on the scheduler's clock (monotonic nanoseconds).
    @exclusivity(unchecked) final var deadline: Int64 = 0
    /// Arming order, so that equal deadlines expire first-armed first.
    @exclusivity(unchecked) final var sequence: UInt64 = 0
    /// Its position in the heap, or -1 when it is not in one.
    @exclusivity(unchecked) final var heapIndex = -1
    /// Set once, by whoever ends it: the scheduler at the deadline, or the party that finished it first. A claimed
    /// entry is never in the heap.
    @usableFromInline @exclusivity(unchecked)
    final var claimed = false

    @usableFromInline
    init() {}

    /// What happens when the deadline passes. Called once, by the scheduler that claimed the entry, after it has
    /// released its lock: an expiry may resume tasks and run cancellation handlers, which may arm or claim other
    /// deadlines on the same scheduler.
    @usableFromInline
    func expire() {}
}

/// A binary min-heap of armed deadlines, ordered by deadline and then arming order, that removes any entry in
/// O(log n) because each entry knows its position.
///
/// Removal rather than lazy deletion: a call that finishes before its deadline (nearly every call) takes its entry
/// out at once, so the heap holds exactly the calls still in flight, however long the timeouts are. With lazy
/// deletion it would hold every call of the last timeout period (100,000 calls a second with a 10 s timeout is a
/// million dead entries, each keeping its operation's closure alive). Not thread-safe: its scheduler's lock guards it.
struct DeadlineHeap {
    /// Below this capacity the storage never shrinks.
    private static let retainedCapacity = 256

    private var entries: [ScheduledDeadline] = []

    /// The number of armed deadlines.
    var count: Int { entries.count }

    /// The earliest deadline, if any.
    var first: ScheduledDeadline? { entries.first }

    /// Adds `entry`, which must not be in a heap.
    mutating func insert(_ entry: ScheduledDeadline) {
        entry.heapIndex = entries.count
        entries.append(entry)
        siftUp(entries.count - 1)
    }

    /// Takes out the earliest deadline.
    mutating func removeFirst() -> ScheduledDeadline? {
        guard !entries.isEmpty else { return nil }
        return remove(at: 0)
    }

    /// Takes `entry` out, if it is in this heap.
    mutating func remove(_ entry: ScheduledDeadline) {
        let index = entry.heapIndex
        guard index >= 0, index < entries.count, entries[index] === entry else { return }
        _ = remove(at: index)
    }

    private mutating func remove(at index: Int) -> ScheduledDeadline {
        let removed = entries[index]
        let last = entries.removeLast()
        if index < entries.count {
            entries[index] = last
            last.heapIndex = index
            if index > 0 && Self.precedes(last, entries[(index - 1) / 2]) {
                siftUp(index)
            } else {
                siftDown(index)
            }
        }
        removed.heapIndex = -1
        shrinkIfMostlyEmpty()
        return removed
    }

    /// After a burst of concurrent calls the storage would keep its peak size for good: give most of it back once
    /// the heap is down to an eighth of it.
    private mutating func shrinkIfMostlyEmpty() {
        let capacity = entries.capacity
        guard capacity > Self.retainedCapacity, entries.count <= capacity / 8 else { return }
        var smaller: [ScheduledDeadline] = []
        smaller.reserveCapacity(max(entries.count * 2, Self.retainedCapacity))
        smaller.append(contentsOf: entries)
        entries = smaller
    }

    private mutating func siftUp(_ start: Int) {
        var index = start
        let entry = entries[index]
        while index > 0 {
            let parent = (index - 1) / 2
            guard Self.precedes(entry, entries[parent]) else { break }
            entries[index] = entries[parent]
            entries[index].heapIndex = index
            index = parent
        }
        entries[index] = entry
        entry.heapIndex = index
    }

    private mutating func siftDown(_ start: Int) {
        var index = start
        let entry = entries[index]
        let count = entries.count
        while true {
            let left = 2 * index + 1
            guard left < count else { break }
            let right = left + 1
            let child = right < count && Self.precedes(entries[right], entries[left]) ? right : left
            guard Self.precedes(entries[child], entry) else { break }
            entries[index] = entries[child]
            entries[index].heapIndex = index
            index = child
        }
        entries[index] = entry
        entry.heapIndex = index
    }

    private static func precedes(_ a: ScheduledDeadline, _ b: ScheduledDeadline) -> Bool {
        a.deadline < b.deadline || (a.deadline == b.deadline && a.sequence < b.sequence)
    }

    /// The number of armed deadlines for which `predicate` holds.
    func count(where predicate: (ScheduledDeadline) -> Bool) -> Int {
        entries.count(where: predicate)
    }

    /// Whether every entry sits where the heap says and no parent expires after its children (for tests).
    var isConsistent: Bool {
        for (index, entry) in entries.enumerated() {
            if entry.heapIndex != index || entry.claimed { return false }
            if index > 0 && Self.precedes(entry, entries[(index - 1) / 2]) { return false }
        }
        return true
    }
}
