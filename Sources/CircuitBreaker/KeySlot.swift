import Synchronization

/// One key's place in a ``KeyTable``: the key, its breaker, the calls pinned to it and when it was last used.
///
/// Slots are allocated in chunks and never freed while the table lives: an evicted key's slot is reused for a new
/// key. That is what lets callers reach a slot without a lock: a caller that found a slot through an index entry
/// that has since gone stale touches valid memory, pins it, and sees that the key is not its own (see
/// ``KeyTable``).
@usableFromInline
struct KeySlot: ~Copyable {
    /// The calls in flight through the group on this slot's breaker, plus ``KeyTable/claimedBit`` while the slot
    /// is free or claimed by an eviction check. A caller pins with one atomic add and unpins with one atomic
    /// subtract.
    @usableFromInline
    let pins: Atomic<UInt64>
    /// The table's epoch (the number of keys created so far) when the key was last used: the order of eviction.
    @usableFromInline
    let lastUsed: Atomic<UInt64>
    /// The key. Written under the group's lock while ``KeyTable/claimedBit`` is set; read by a caller that pinned
    /// the slot (its pin saw the bit clear, so the write happened before).
    @usableFromInline
    var key: String
    /// The key's breaker, retained by the slot; `nil` while the slot is free. Written and read as `key` is.
    @usableFromInline
    var breaker: Unmanaged<CircuitBreaker>?
    /// The key's hash (under the group's lock only: for moving index entries).
    var hash: Int
    /// Counts the keys the slot has held, so that an eviction candidate recorded for one key is not mistaken for
    /// the next key in the same slot (under the group's lock only).
    var incarnation: UInt64

    /// A free slot.
    init() {
        pins = Atomic(KeyTable.claimedBit)
        lastUsed = Atomic(0)
        key = ""
        breaker = nil
        hash = 0
        incarnation = 0
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
    let slot: UnsafeMutablePointer<KeySlot>?

    @usableFromInline
    init(breaker: Unmanaged<CircuitBreaker>, slot: UnsafeMutablePointer<KeySlot>?) {
        self.breaker = breaker
        self.slot = slot
    }

    /// Ends the lease: one atomic subtract, with release ordering, so that an eviction check that claims the slot
    /// afterwards sees every outcome the call recorded.
    @inlinable
    func release() {
        slot?.pointee.pins.wrappingSubtract(1, ordering: .releasing)
    }
}
