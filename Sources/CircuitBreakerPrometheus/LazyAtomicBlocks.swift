import Synchronization

/// A few blocks of `UInt64` atomics, each allocated when it is first needed: the per-outcome storage of a
/// breaker's native histogram and exemplars, so that a breaker pays only for the outcomes it has seen.
///
/// The call path reaches a block through one acquiring load of its address, with no reference counting (an
/// `AtomicLazyReference` would retain and release the block on every call). A block is created once: the first
/// thread publishes it with a compare-and-exchange; a thread that loses the race frees its own and uses the winner's.
/// Non-copyable, so that it is stored inline in its owner (one indirection less on the call path) and freed once.
struct LazyAtomicBlocks: ~Copyable, @unchecked Sendable {
    // Why `@unchecked Sendable` is safe: `addresses` holds, per block, 0 or the address of `cellsPerBlock`
    // initialised atomics; it changes only from 0 to an address, by a compare-and-exchange with release ordering
    // (so the block's initialisation happens before any thread that loads the address with acquire ordering uses
    // it), and never again. Blocks and `addresses` are freed in `deinit`; the value cannot be copied, so that
    // runs once, when its owner goes and no other thread can reach it. Every
    // access to a cell is an atomic operation; `count` and `cellsPerBlock` are immutable.

    /// The number of blocks.
    let count: Int
    /// Atomics per block.
    let cellsPerBlock: Int
    private let addresses: UnsafeMutablePointer<Atomic<UInt>>

    /// `count` blocks of `cellsPerBlock` atomics, none allocated yet.
    init(count: Int, cellsPerBlock: Int) {
        self.count = count
        self.cellsPerBlock = cellsPerBlock
        addresses = .allocate(capacity: count)
        for index in 0..<count {
            (addresses + index).initialize(to: Atomic(0))
        }
    }

    deinit {
        for index in 0..<count {
            if let block = UnsafeMutablePointer<Atomic<UInt64>>(bitPattern: addresses[index].load(ordering: .acquiring))
            {
                AtomicCells.freeBlock(block, count: cellsPerBlock)
            }
        }
        addresses.deinitialize(count: count)
        addresses.deallocate()
    }

    /// Block `index`, if it was created.
    @inline(__always)
    func block(_ index: Int) -> UnsafeMutablePointer<Atomic<UInt64>>? {
        UnsafeMutablePointer(bitPattern: addresses[index].load(ordering: .acquiring))
    }

    /// Block `index`, created (all zero) if it was not.
    @inline(__always)
    func blockCreating(_ index: Int) -> UnsafeMutablePointer<Atomic<UInt64>> {
        block(index) ?? create(index)
    }

    @inline(never)
    private func create(_ index: Int) -> UnsafeMutablePointer<Atomic<UInt64>> {
        let block = AtomicCells.allocateBlock(count: cellsPerBlock)
        let address = UInt(bitPattern: block)
        let (exchanged, original) = addresses[index].compareExchange(
            expected: 0,
            desired: address,
            ordering: .acquiringAndReleasing
        )
        guard !exchanged, let winner = UnsafeMutablePointer<Atomic<UInt64>>(bitPattern: original) else { return block }
        AtomicCells.freeBlock(block, count: cellsPerBlock)
        return winner
    }
}
