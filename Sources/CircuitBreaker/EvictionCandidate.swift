/// A key that looked idle when a ``BreakerGroup`` scanned its keys: its slot, which key the slot held then, and
/// when that key was last used.
struct EvictionCandidate {
    let slot: Int
    let incarnation: UInt64
    let lastUsed: UInt64
}

/// The `limit` least recently used candidates of a scan, kept in a max-heap on `lastUsed` (the most recently used
/// of them on top, replaced when a less recently used one is offered): a scan of n keys costs n log(limit).
struct CandidateHeap {
    private var items: [EvictionCandidate] = []
    private let limit: Int

    init(limit: Int) {
        self.limit = limit
        items.reserveCapacity(limit)
    }

    mutating func offer(_ candidate: EvictionCandidate) {
        if items.count < limit {
            items.append(candidate)
            siftUp(items.count - 1)
        } else if let top = items.first, candidate.lastUsed < top.lastUsed {
            items[0] = candidate
            siftDown(0)
        }
    }

    /// The candidates, most recently used first, so that `popLast()` yields the least recently used.
    func sortedMostRecentFirst() -> [EvictionCandidate] {
        items.sorted { $0.lastUsed > $1.lastUsed }
    }

    private mutating func siftUp(_ start: Int) {
        var child = start
        while child > 0 {
            let parent = (child - 1) / 2
            guard items[child].lastUsed > items[parent].lastUsed else { return }
            items.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func siftDown(_ start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var largest = parent
            if left < items.count && items[left].lastUsed > items[largest].lastUsed { largest = left }
            if right < items.count && items[right].lastUsed > items[largest].lastUsed { largest = right }
            guard largest != parent else { return }
            items.swapAt(parent, largest)
            parent = largest
        }
    }
}
