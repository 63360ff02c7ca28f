import Synchronization

/// The atomics of one key's place in a ``KeyTable``: the calls pinned to it and when it was last used.
///
/// They live apart from the slot's ``KeyRecord``, in memory of their own, so that writing a record (under the
/// group's lock) never overlaps the atomic operations other threads make on the slot meanwhile: Swift treats a
/// write to one stored property of a struct through a pointer as an access to the whole struct.
@usableFromInline
struct SlotState: ~Copyable {
    /// The calls in flight through the group on this slot's breaker, plus ``KeyTable/claimedBit`` while the slot
    /// is free or claimed by an eviction check. A caller pins with one atomic add and unpins with one atomic
    /// subtract.
    @usableFromInline
    let pins: Atomic<UInt64>
    /// The table's epoch (the number of keys created so far) when the key was last used: the order of eviction.
    @usableFromInline
    let lastUsed: Atomic<UInt64>

    /// A free slot.
    init() {
        pins = Atomic(KeyTable.claimedBit)
        lastUsed = Atomic(0)
    }
}

/// The key and breaker a slot holds. Written under the group's lock while ``KeyTable/claimedBit`` is set in the
/// slot's pins; read without the lock only by a caller that pinned the slot (its pin saw the bit clear, so the
/// write happened before).
@usableFromInline
struct KeyRecord {
    /// The key; empty while the slot is free.
    @usableFromInline
    var key = ""
    /// The key's UTF-8 bytes, owned by the slot (allocated when the key is set, freed when it is removed): what a
    /// lookup compares, with no reference counting.
    @usableFromInline
    var bytes: UnsafeMutableRawPointer?
    /// The number of bytes at `bytes`.
    @usableFromInline
    var length = 0
    /// The key's breaker, retained by the slot; `nil` while the slot is free.
    @usableFromInline
    var breaker: Unmanaged<CircuitBreaker>?
    /// The key's hash (under the group's lock only: for moving index entries).
    var hash = 0
    /// Counts the keys the slot has held, so that an eviction candidate recorded for one key is not mistaken for
    /// the next key in the same slot (under the group's lock only).
    var incarnation: UInt64 = 0
}

/// One key's place in a ``KeyTable``: its atomics and its record.
///
/// Slots are allocated in chunks and never freed while the table lives: an evicted key's slot is reused for a new
/// key. That is what lets callers reach a slot without a lock: a caller that found a slot through an index entry
/// that has since gone stale touches valid memory, pins it, and sees that the key is not its own.
@usableFromInline
struct KeySlot {
    @usableFromInline
    let state: UnsafeMutablePointer<SlotState>
    @usableFromInline
    let record: UnsafeMutablePointer<KeyRecord>

    @usableFromInline
    init(state: UnsafeMutablePointer<SlotState>, record: UnsafeMutablePointer<KeyRecord>) {
        self.state = state
        self.record = record
    }

    /// Adds a pin and returns the pins before it (with ``KeyTable/claimedBit``, the pin does not hold).
    @inlinable
    func pin() -> UInt64 {
        state.pointee.pins.wrappingAdd(1, ordering: .acquiring).oldValue
    }

    /// Removes a pin, with release ordering, so that an eviction check that claims the slot afterwards sees every
    /// outcome the call recorded.
    @inlinable
    func unpin() {
        state.pointee.pins.wrappingSubtract(1, ordering: .releasing)
    }

    /// The pins now (a relaxed load).
    var pins: UInt64 {
        state.pointee.pins.load(ordering: .relaxed)
    }

    /// The epoch of the key's last use (a relaxed load).
    var lastUsed: UInt64 {
        state.pointee.lastUsed.load(ordering: .relaxed)
    }

    /// Whether the slot holds the key of these UTF-8 bytes (the caller pinned it, or holds the group's lock).
    @usableFromInline
    func holds(_ key: UnsafeRawBufferPointer) -> Bool {
        let length = record.pointee.length
        guard length == key.count else { return false }
        guard let stored = record.pointee.bytes, let other = key.baseAddress else { return length == 0 }
        return KeyHashing.equal(stored, other, count: length)
    }

    /// The slot's breaker, which the caller knows is there (it pinned the slot, or holds the group's lock).
    @usableFromInline
    var breaker: Unmanaged<CircuitBreaker> {
        record.pointee.breaker.unsafelyUnwrapped
    }
}

/// A call's hold on a key's breaker: while it lasts, the key cannot be evicted (its slot is pinned). The overflow
/// breaker's lease pins nothing: that breaker is never evicted.
@usableFromInline
struct KeyLease {
    /// The breaker, kept alive by the slot (or the group) for as long as the lease lasts.
    @usableFromInline
    let breaker: Unmanaged<CircuitBreaker>
    /// The pinned slot; `nil` for the overflow breaker.
    @usableFromInline
    let slot: KeySlot?

    @usableFromInline
    init(breaker: Unmanaged<CircuitBreaker>, slot: KeySlot?) {
        self.breaker = breaker
        self.slot = slot
    }

    /// Ends the lease: unpins the slot.
    @inlinable
    func release() {
        slot?.unpin()
    }
}
