import Synchronization

/// The outcomes of the last `size` calls, lock-free.
///
/// Each call takes the next slot from a shared cursor and swaps its outcome code into it; the running failure and
/// slow counts change by the difference between the code it put in and the one it took out, so they always match
/// what the slots hold. When the slot already holds the same code (the common case: a success replacing a
/// success), nothing is written but the cursor.
/// Noncopyable and stored inline in the breaker, so that the per-call path reaches it without reference counting.
// Safety (@unchecked Sendable): `slots` is allocated in init, freed in deinit and never reassigned; every access
// to the memory it points to goes through the atomics stored there.
@usableFromInline
struct CountWindow: ~Copyable, @unchecked Sendable {
    @usableFromInline
    let size: Int
    /// Slot codes: 0 empty, else `occupied | failure | slow`.
    @usableFromInline
    let slots: UnsafeMutablePointer<Atomic<UInt8>>
    @usableFromInline
    let cursor = Atomic<Int>(0)
    @usableFromInline
    let failures = Atomic<Int>(0)
    @usableFromInline
    let slowCalls = Atomic<Int>(0)

    @usableFromInline
    static let occupied: UInt8 = 0b100
    @usableFromInline
    static let failureBit: UInt8 = 0b001
    @usableFromInline
    static let slowBit: UInt8 = 0b010

    /// A window of `size` slots; 0 for a breaker whose policy has no count window.
    init(size: Int) {
        self.size = size
        slots = .allocate(capacity: size)
        for index in 0..<size {
            (slots + index).initialize(to: Atomic(0))
        }
    }

    deinit {
        slots.deinitialize(count: size)
        slots.deallocate()
    }

    /// Records one outcome.
    @inlinable
    func record(failure: Bool, slow: Bool) {
        let code = Self.occupied | (failure ? Self.failureBit : 0) | (slow ? Self.slowBit : 0)
        let index = cursor.wrappingAdd(1, ordering: .relaxed).oldValue % size
        let slot = slots + index
        if slot.pointee.load(ordering: .relaxed) == code { return }
        let previous = slot.pointee.exchange(code, ordering: .relaxed)
        let failureDelta = Int(code & Self.failureBit) - Int(previous & Self.failureBit)
        if failureDelta != 0 { failures.add(failureDelta, ordering: .relaxed) }
        let slowDelta = Int((code & Self.slowBit) >> 1) - Int((previous & Self.slowBit) >> 1)
        if slowDelta != 0 { slowCalls.add(slowDelta, ordering: .relaxed) }
    }

    @usableFromInline
    var totals: WindowTotals {
        WindowTotals(
            calls: min(cursor.load(ordering: .relaxed), size),
            failures: failures.load(ordering: .relaxed),
            slowCalls: slowCalls.load(ordering: .relaxed)
        )
    }

    /// Empties the window. Called under the breaker's lock at a transition to closed.
    func reset() {
        for index in 0..<size {
            slots[index].store(0, ordering: .relaxed)
        }
        cursor.store(0, ordering: .relaxed)
        failures.store(0, ordering: .relaxed)
        slowCalls.store(0, ordering: .relaxed)
    }
}
