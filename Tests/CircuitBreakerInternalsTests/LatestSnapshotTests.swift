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
        var previous: [String?] = []
        func apply(_ new: String, _ old: String?) {
            applied.append(new)
            previous.append(old)
        }
        #expect(cell.offer("second", order: (2, 10), apply: apply))
        #expect(!cell.offer("first", order: (1, 99), apply: apply), "an earlier generation, however old")
        #expect(!cell.offer("second, read earlier", order: (2, 9), apply: apply), "an earlier reading of one period")
        #expect(cell.offer("second, read later", order: (2, 11), apply: apply))
        #expect(cell.offer("third", order: (3, 0), apply: apply))
        #expect(applied == ["second", "second, read later", "third"])
        #expect(previous == [nil, "second", "second, read later"])
        #expect(cell.latest == "third")
    }

    @Test func refreshReadsTheSourceUntilItIsDetachedOrGone() {
        let cell = LatestSnapshot<Source, UInt64>()
        var applied: [UInt64] = []
        cell.refresh(read: \.generation, order: { ($0, 0) }) { new, _ in applied.append(new) }
        #expect(applied.isEmpty, "no source yet")
        var source: Source? = Source(generation: 7)
        cell.attach(source!)
        cell.refresh(read: \.generation, order: { ($0, 0) }) { new, _ in applied.append(new) }
        #expect(applied == [7])
        source = nil
        cell.refresh(read: \.generation, order: { ($0, 0) }) { new, _ in applied.append(new) }
        #expect(applied == [7], "the cell holds its source weakly")
        let other = Source(generation: 9)
        cell.attach(other)
        cell.detach()
        cell.refresh(read: \.generation, order: { ($0, 0) }) { new, _ in applied.append(new) }
        #expect(applied == [7])
        withExtendedLifetime(source) {}
    }
}
