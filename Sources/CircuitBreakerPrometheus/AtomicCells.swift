import Synchronization

/// A fixed block of `UInt64` atomics in one allocation: every counter and gauge of one breaker (see
/// ``SeriesLayout``), the buckets of its duration histograms, the slots of its exemplars.
final class AtomicCells: @unchecked Sendable {
    // Why `@unchecked Sendable` is safe: `cells` is allocated and initialised in `init`, never reassigned, and
    // deinitialised and freed in `deinit`, when no other reference exists. Between the two, every access goes
    // through an `Atomic`'s atomic operations, which are data-race free by definition, at an index below `count`
    // (the callers use the constants of `SeriesLayout`, all below `SeriesLayout.cellCount`); `count` is immutable.
    private let cells: UnsafeMutablePointer<Atomic<UInt64>>
    let count: Int

    /// Creates `count` cells at 0.
    init(count: Int) {
        self.count = count
        self.cells = Self.allocateBlock(count: count)
    }

    deinit {
        Self.freeBlock(cells, count: count)
    }

    /// Allocates `count` atomics, each initialised to 0: the one way every block of atomics here is made.
    static func allocateBlock(count: Int) -> UnsafeMutablePointer<Atomic<UInt64>> {
        let block = UnsafeMutablePointer<Atomic<UInt64>>.allocate(capacity: count)
        for index in 0..<count {
            (block + index).initialize(to: Atomic(0))
        }
        return block
    }

    /// Frees a block from ``allocateBlock(count:)``.
    static func freeBlock(_ block: UnsafeMutablePointer<Atomic<UInt64>>, count: Int) {
        block.deinitialize(count: count)
        block.deallocate()
    }

    /// Adds 1 to cell `index`: one relaxed atomic add.
    @inline(__always)
    func increment(_ index: Int) {
        cells[index].wrappingAdd(1, ordering: .relaxed)
    }

    /// Adds 1 to cell `index`, ordered after every write this thread made before: the last write of a call or an
    /// event, which a scrape reads with ``loadAcquiring(_:)`` (the same instruction as a relaxed add on x86-64).
    @inline(__always)
    func incrementReleasing(_ index: Int) {
        cells[index].wrappingAdd(1, ordering: .releasing)
    }

    /// Reads cell `index`, ordered before every read this thread makes after: a write made before a
    /// ``incrementReleasing(_:)`` this reading sees is visible to those reads.
    @inline(__always)
    func loadAcquiring(_ index: Int) -> UInt64 {
        cells[index].load(ordering: .acquiring)
    }

    /// Adds `value` to cell `index`, wrapping: one relaxed atomic add.
    @inline(__always)
    func add(_ value: UInt64, at index: Int) {
        cells[index].wrappingAdd(value, ordering: .relaxed)
    }

    @inline(__always)
    func load(_ index: Int) -> UInt64 {
        cells[index].load(ordering: .relaxed)
    }

    @inline(__always)
    func store(_ value: UInt64, at index: Int) {
        cells[index].store(value, ordering: .relaxed)
    }

    /// Replaces cell `index` with `desired` if it holds `expected`: a relaxed compare-and-exchange.
    @inline(__always)
    func compareExchange(_ expected: UInt64, _ desired: UInt64, at index: Int) -> (exchanged: Bool, original: UInt64) {
        cells[index].compareExchange(expected: expected, desired: desired, ordering: .relaxed)
    }

    /// The `Double` whose bit pattern cell `index` holds.
    @inline(__always)
    func loadDouble(_ index: Int) -> Double {
        Double(bitPattern: load(index))
    }

    @inline(__always)
    func storeDouble(_ value: Double, at index: Int) {
        store(value.bitPattern, at: index)
    }
}
