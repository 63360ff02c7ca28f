import CircuitBreakerInternals
import Synchronization

/// The keys of a ``BreakerGroup``: slots holding each key and its breaker, and an open-addressing index from key
/// to slot. Looking up an existing key takes no lock; creating and evicting keys happen under the group's lock.
///
/// **Lookup without a lock.** The index (linear probing, at most half full) holds, per key, the high half of its
/// hash and its slot number in one atomic word. A caller hashes the key, probes, and pins each slot whose hash
/// matches: one atomic add on the slot's `pins`. A pin that finds ``claimedBit`` set is undone (the slot is free or
/// being checked for eviction); a pin that finds it clear holds the slot, and the caller then compares the key
/// (a stale index entry may lead to a slot reused for another key). A probe that misses, which can also happen
/// while the group's lock holder moves an entry, sends the caller to the locked path, which probes again
/// exactly. Memory is never reclaimed under a reader: slots live in chunks that are freed with the table, and an
/// index that grew is kept (retired) until then; both total at most twice what the table needs.
///
/// **Eviction without a race.** Only the lock holder claims a slot, by a compare-and-exchange of `pins` from 0
/// (no call pinned) to ``claimedBit``, with acquire ordering. From then on no call can pin the slot. Every call
/// that pinned it before has unpinned, with release ordering, after its outcome was recorded in the breaker, so
/// the breaker's state, window and streak, read after the claim, include every call made through the group. If
/// the breaker is idle the slot is emptied and freed with the bit still set; otherwise the bit is cleared again
/// (a caller that found it set meanwhile went to the locked path and waits for the lock). A call that starts on
/// a key being evicted therefore either pins first, and the claim fails, or finds the bit set and creates the key
/// anew under the lock, after the eviction: it never runs on a breaker the group has let go.
///
/// Calls made on a breaker kept from ``BreakerGroup/breaker(for:)`` pin nothing: such a breaker can be evicted
/// while in use, and its later outcomes are counted by nobody. Calls through the group (`execute(key:)`,
/// `withBreaker(for:)`) are the ones eviction waits for.
// Safety (@unchecked Sendable): the index words, each slot's `SlotState`, `current`, `stateChunks`,
// `recordChunks`, `epoch`, `count` and `allocated` are atomics. The slots' `KeyRecord`s (kept apart from their
// atomics, so that writing one overlaps no atomic operation), `retired` and `freeSlots` are written only by the
// holder of the owning group's lock (see each method). A record's `bytes`, `length` and `breaker` are read without
// the lock only by a caller whose pin found `claimedBit` clear: the lock holder wrote them before clearing the bit
// with release ordering, and does not write them again before a successful claim, which no pinned caller allows.
// Chunks, indexes, slots and key bytes are freed in `deinit`, when no other reference exists.
@usableFromInline
final class KeyTable: @unchecked Sendable {
    /// Set in a slot's `pins` while the slot is free or claimed by an eviction check.
    @usableFromInline
    static let claimedBit: UInt64 = 1 << 63
    static let chunkShift = 8
    static let chunkSize = 1 << chunkShift
    static let smallestIndex = 16

    /// The most keys the table holds.
    let capacity: Int
    /// The current index: the address of `mask + 1` atomics whose first holds the mask (size − 1) and the rest
    /// the entries (0: empty; else the hash's high half << 32 | slot + 1).
    @usableFromInline
    let current: Atomic<UInt>
    /// Indexes that were outgrown, kept until the table goes (a reader may still probe one).
    private var retired: [UnsafeMutablePointer<Atomic<UInt64>>] = []
    /// Per chunk of ``chunkSize`` slots, the address of its `SlotState`s and of its `KeyRecord`s, once allocated.
    @usableFromInline
    let stateChunks: UnsafeMutablePointer<Atomic<UInt>>
    @usableFromInline
    let recordChunks: UnsafeMutablePointer<Atomic<UInt>>
    let chunkCount: Int
    /// Slots handed out so far: slot numbers below it have been initialised.
    let allocated = Atomic<Int>(0)
    /// Freed slots, ready for reuse (under the lock).
    private var freeSlots: [Int32] = []
    /// The number of keys created so far: a key's `lastUsed` is the epoch of its last use.
    @usableFromInline
    let epoch = Atomic<UInt64>(0)
    /// Keys held now.
    let count = Atomic<Int>(0)
    /// The seed of the keys' hashes (``KeyHashing``), random per table.
    @usableFromInline
    let seed = UInt64.random(in: .min ... .max)

    init(capacity: Int) {
        self.capacity = capacity
        chunkCount = (capacity + Self.chunkSize - 1) >> Self.chunkShift
        stateChunks = .allocate(capacity: chunkCount)
        recordChunks = .allocate(capacity: chunkCount)
        for chunk in 0..<chunkCount {
            (stateChunks + chunk).initialize(to: Atomic(0))
            (recordChunks + chunk).initialize(to: Atomic(0))
        }
        current = Atomic(UInt(bitPattern: Self.allocateIndex(size: Self.smallestIndex)))
    }

    deinit {
        for chunk in 0..<chunkCount {
            if let records = UnsafeMutablePointer<KeyRecord>(bitPattern: recordChunks[chunk].load(ordering: .acquiring))
            {
                for index in 0..<Self.chunkSize {
                    records[index].breaker?.release()
                    records[index].bytes?.deallocate()
                }
                records.deinitialize(count: Self.chunkSize)
                records.deallocate()
            }
            if let states = UnsafeMutablePointer<SlotState>(bitPattern: stateChunks[chunk].load(ordering: .acquiring)) {
                states.deinitialize(count: Self.chunkSize)
                states.deallocate()
            }
        }
        stateChunks.deinitialize(count: chunkCount)
        stateChunks.deallocate()
        recordChunks.deinitialize(count: chunkCount)
        recordChunks.deallocate()
        for index in retired + [Self.index(current.load(ordering: .acquiring))] {
            index.deinitialize(count: Int(index[0].load(ordering: .relaxed)) + 2)
            index.deallocate()
        }
    }

    // MARK: Without a lock

    /// The hash of a key's bytes in this table.
    @usableFromInline @inline(__always)
    func hash(_ key: UnsafeRawBufferPointer) -> Int {
        KeyHashing.hash(key, seed: seed)
    }

    /// The slot of `key` (its UTF-8 bytes), pinned; `nil` if the key was not found (it may still exist: ask again
    /// under the lock). `touch` records the use for eviction. `hash` is ``hash(_:)``.
    @usableFromInline @inline(__always)
    func pin(_ key: UnsafeRawBufferPointer, hash: Int, touch: Bool) -> KeySlot? {
        let index = Self.index(current.load(ordering: .acquiring))
        let mask = Int(truncatingIfNeeded: index[0].load(ordering: .relaxed))
        let entries = index + 1
        let tag = Self.tag(hash)
        var position = hash & mask
        for _ in 0...mask {
            let entry = entries[position].load(ordering: .acquiring)
            if entry == 0 { return nil }
            if entry >> 32 == tag {
                let slot = self.slot(Int(truncatingIfNeeded: entry & 0xFFFF_FFFF) &- 1)
                if slot.pin() & Self.claimedBit == 0 && slot.holds(key) {
                    if touch { self.touch(slot) }
                    return slot
                }
                slot.unpin()
            }
            position = (position &+ 1) & mask
        }
        return nil
    }

    /// Records a use of a pinned slot: two relaxed loads, and a store when the epoch moved since its last use (so
    /// that a key used over and over does not write to a shared cache line on every call).
    @inlinable
    func touch(_ slot: KeySlot) {
        let now = epoch.load(ordering: .relaxed)
        if slot.state.pointee.lastUsed.load(ordering: .relaxed) != now {
            slot.state.pointee.lastUsed.store(now, ordering: .relaxed)
        }
    }

    /// The breakers of the live slots that `include` selects, each pinned while it is looked at, so that no lock
    /// is needed: what a scrape uses to find the few keys that are not closed.
    func breakers(where include: (CircuitBreaker) -> Bool) -> [CircuitBreaker] {
        var found: [CircuitBreaker] = []
        let slots = allocated.load(ordering: .acquiring)
        for number in 0..<slots {
            let slot = slot(number)
            if slot.pin() & Self.claimedBit == 0, let breaker = slot.record.pointee.breaker {
                let held = breaker.takeUnretainedValue()
                if include(held) { found.append(held) }
            }
            slot.unpin()
        }
        return found
    }

    /// Slot `number`: a number from an index entry or below `allocated`, both published after its chunk.
    @usableFromInline
    func slot(_ number: Int) -> KeySlot {
        let chunk = number >> Self.chunkShift
        let offset = number & (Self.chunkSize - 1)
        let states = UnsafeMutablePointer<SlotState>(bitPattern: stateChunks[chunk].load(ordering: .acquiring))
        let records = UnsafeMutablePointer<KeyRecord>(bitPattern: recordChunks[chunk].load(ordering: .acquiring))
        return KeySlot(state: states.unsafelyUnwrapped + offset, record: records.unsafelyUnwrapped + offset)
    }

    @usableFromInline
    static func index(_ address: UInt) -> UnsafeMutablePointer<Atomic<UInt64>> {
        UnsafeMutablePointer<Atomic<UInt64>>(bitPattern: address).unsafelyUnwrapped
    }

    @usableFromInline
    static func tag(_ hash: Int) -> UInt64 {
        UInt64(truncatingIfNeeded: UInt(bitPattern: hash) >> 32) & 0xFFFF_FFFF
    }

    // MARK: Under the group's lock

    /// Adds `key` with `breaker` (retained by the slot) and returns its slot, pinned once for the caller. The table
    /// must hold fewer than ``capacity`` keys. Under the group's lock.
    func insert(_ key: String, bytes: UnsafeRawBufferPointer, hash: Int, breaker: CircuitBreaker) -> KeySlot {
        let number: Int
        if let free = freeSlots.popLast() {
            number = Int(free)
        } else {
            number = allocated.load(ordering: .relaxed)
            if number & (Self.chunkSize - 1) == 0 {
                let states = UnsafeMutablePointer<SlotState>.allocate(capacity: Self.chunkSize)
                let records = UnsafeMutablePointer<KeyRecord>.allocate(capacity: Self.chunkSize)
                for index in 0..<Self.chunkSize {
                    (states + index).initialize(to: SlotState())
                    (records + index).initialize(to: KeyRecord())
                }
                stateChunks[number >> Self.chunkShift].store(UInt(bitPattern: states), ordering: .releasing)
                recordChunks[number >> Self.chunkShift].store(UInt(bitPattern: records), ordering: .releasing)
            }
            allocated.store(number + 1, ordering: .releasing)
        }
        let slot = slot(number)
        let epoch = epoch.wrappingAdd(1, ordering: .relaxed).newValue
        slot.record.pointee.key = key
        let copy = UnsafeMutableRawPointer.allocate(byteCount: max(bytes.count, 1), alignment: 8)
        if let source = bytes.baseAddress { copy.copyMemory(from: source, byteCount: bytes.count) }
        slot.record.pointee.bytes = copy
        slot.record.pointee.length = bytes.count
        slot.record.pointee.breaker = .passRetained(breaker)
        slot.record.pointee.hash = hash
        slot.record.pointee.incarnation &+= 1
        slot.state.pointee.lastUsed.store(epoch, ordering: .relaxed)
        // Pinned for the caller, then opened: callers that bounced off the claimed bit meanwhile unpin themselves.
        slot.state.pointee.pins.wrappingAdd(1, ordering: .relaxed)
        slot.state.pointee.pins.bitwiseAnd(~Self.claimedBit, ordering: .releasing)
        let size = count.wrappingAdd(1, ordering: .relaxed).newValue
        let index = Self.index(current.load(ordering: .relaxed))
        if size > (Int(index[0].load(ordering: .relaxed)) + 1) / 2 {
            grow(from: index)  // indexes every live slot, this one included
        } else {
            place(Self.entry(hash: hash, slot: number), hash: hash, in: index)
        }
        return slot
    }

    /// Claims the slot for an eviction check: succeeds only when no call is pinned to it. Under the group's lock.
    func claim(_ slot: KeySlot) -> Bool {
        slot.state.pointee.pins.compareExchange(expected: 0, desired: Self.claimedBit, ordering: .acquiring).exchanged
    }

    /// Gives a claimed slot back to its key. Under the group's lock.
    func unclaim(_ slot: KeySlot) {
        slot.state.pointee.pins.bitwiseAnd(~Self.claimedBit, ordering: .releasing)
    }

    /// Removes the key of a claimed slot and frees the slot (the claimed bit stays set); returns the key and its
    /// breaker, whose retain passes to the caller. Under the group's lock.
    func remove(_ slot: KeySlot, number: Int) -> (key: String, breaker: CircuitBreaker) {
        removeEntry(slot: number, hash: slot.record.pointee.hash)
        let key = slot.record.pointee.key
        let breaker = slot.breaker.takeRetainedValue()
        slot.record.pointee.breaker = nil
        slot.record.pointee.key = ""
        slot.record.pointee.bytes?.deallocate()
        slot.record.pointee.bytes = nil
        slot.record.pointee.length = 0
        freeSlots.append(Int32(truncatingIfNeeded: number))
        count.wrappingSubtract(1, ordering: .relaxed)
        return (key, breaker)
    }

    /// Every live slot with its number (under the group's lock: no slot changes meanwhile but for its atomics).
    func forEachLive(_ body: (Int, KeySlot) -> Void) {
        for number in 0..<allocated.load(ordering: .relaxed) {
            let slot = slot(number)
            if slot.record.pointee.breaker != nil { body(number, slot) }
        }
    }

    // MARK: The index (under the group's lock)

    static func entry(hash: Int, slot: Int) -> UInt64 {
        tag(hash) << 32 | UInt64(truncatingIfNeeded: slot &+ 1)
    }

    private static func allocateIndex(size: Int) -> UnsafeMutablePointer<Atomic<UInt64>> {
        let index = UnsafeMutablePointer<Atomic<UInt64>>.allocate(capacity: size + 1)
        index.initialize(to: Atomic(UInt64(size - 1)))
        for position in 1...size {
            (index + position).initialize(to: Atomic(0))
        }
        return index
    }

    /// Stores `entry` at the first empty position from the hash's home.
    private func place(_ entry: UInt64, hash: Int, in index: UnsafeMutablePointer<Atomic<UInt64>>) {
        let mask = Int(truncatingIfNeeded: index[0].load(ordering: .relaxed))
        var position = hash & mask
        while index[1 + position].load(ordering: .relaxed) != 0 {
            position = (position &+ 1) & mask
        }
        index[1 + position].store(entry, ordering: .releasing)
    }

    /// A new index twice the size holding every entry, published; the old one is retired.
    private func grow(from old: UnsafeMutablePointer<Atomic<UInt64>>) {
        let size = (Int(old[0].load(ordering: .relaxed)) + 1) * 2
        let index = Self.allocateIndex(size: size)
        forEachLive { number, slot in
            place(Self.entry(hash: slot.record.pointee.hash, slot: number), hash: slot.record.pointee.hash, in: index)
        }
        retired.append(old)
        current.store(UInt(bitPattern: index), ordering: .releasing)
    }

    /// Removes slot `slot`'s entry and closes the gap by shifting later entries back (no tombstones). A reader
    /// probing meanwhile may miss an entry that moves, never see a wrong one: it then asks under the lock.
    private func removeEntry(slot: Int, hash: Int) {
        let index = Self.index(current.load(ordering: .relaxed))
        let mask = Int(truncatingIfNeeded: index[0].load(ordering: .relaxed))
        let entries = index + 1
        let wanted = UInt64(truncatingIfNeeded: slot &+ 1)
        var hole = hash & mask
        var found = false
        for _ in 0...mask {
            let entry = entries[hole].load(ordering: .relaxed)
            if entry == 0 { break }
            if entry & 0xFFFF_FFFF == wanted {
                found = true
                break
            }
            hole = (hole &+ 1) & mask
        }
        guard found else { return }  // not indexed: nothing to remove
        var next = (hole &+ 1) & mask
        while true {
            let entry = entries[next].load(ordering: .relaxed)
            if entry == 0 { break }
            let home = self.slot(Int(truncatingIfNeeded: entry & 0xFFFF_FFFF) &- 1).record.pointee.hash & mask
            // The entry may fill the hole if its home does not lie cyclically in (hole, next].
            if (next &- home) & mask >= (next &- hole) & mask {
                entries[hole].store(entry, ordering: .releasing)
                hole = next
            }
            next = (next &+ 1) & mask
        }
        entries[hole].store(0, ordering: .releasing)
    }
}
