import CircuitBreakerInternals
import Testing

@Suite struct LatestSnapshotTests {
    final class Source: Sendable {
        let generation: UInt64
        init(generation: UInt64) { self.generation = generation }
    }

    @Test func anOlderGenerationNeverReplacesANewerOne() {
        let cell = LatestSnapshot<Source, String>()
        var applied: [String] = []
        #expect(cell.offer("second", generation: 2) { applied.append($0) })
        #expect(!cell.offer("first", generation: 1) { applied.append($0) })
        #expect(cell.offer("second again", generation: 2) { applied.append($0) })
        #expect(cell.offer("third", generation: 3) { applied.append($0) })
        #expect(applied == ["second", "second again", "third"])
        #expect(cell.latest == "third")
    }

    @Test func refreshReadsTheSourceUntilItIsDetachedOrGone() {
        let cell = LatestSnapshot<Source, UInt64>()
        var applied: [UInt64] = []
        cell.refresh(read: \.generation, generation: { $0 }) { applied.append($0) }
        #expect(applied.isEmpty, "no source yet")
        var source: Source? = Source(generation: 7)
        cell.attach(source!)
        cell.refresh(read: \.generation, generation: { $0 }) { applied.append($0) }
        #expect(applied == [7])
        source = nil
        cell.refresh(read: \.generation, generation: { $0 }) { applied.append($0) }
        #expect(applied == [7], "the cell holds its source weakly")
        let other = Source(generation: 9)
        cell.attach(other)
        cell.detach()
        cell.refresh(read: \.generation, generation: { $0 }) { applied.append($0) }
        #expect(applied == [7])
        withExtendedLifetime(source) {}
    }
}
