import Testing

@testable import CircuitBreakerPrometheus

@Suite struct DurationExemplarsTests {
    @Test func keepsTheLatestPerSlotAndRefusesLongIDs() {
        let exemplars = DurationExemplars(slotsPerOutcome: 3)
        #expect(exemplars.load(.success, slot: 0) == nil)
        #expect(exemplars.store(.success, slot: 0, traceID: "a", nanoseconds: 1, timestamp: 10))
        #expect(exemplars.store(.success, slot: 0, traceID: "b", nanoseconds: 2, timestamp: 11))
        #expect(exemplars.store(.success, slot: 2, traceID: "c", nanoseconds: 3, timestamp: 9))
        #expect(
            !exemplars.store(
                .success,
                slot: 1,
                traceID: String(repeating: "x", count: 33),
                nanoseconds: 4,
                timestamp: 12
            )
        )
        #expect(!exemplars.store(.success, slot: 1, traceID: "", nanoseconds: 4, timestamp: 12))
        #expect(!exemplars.store(.success, slot: 3, traceID: "d", nanoseconds: 4, timestamp: 12))
        let id32 = String(repeating: "f", count: 32)
        #expect(exemplars.store(.failure, slot: 1, traceID: id32, nanoseconds: 5, timestamp: 13))
        #expect(exemplars.load(.success, slot: 0) == .init(traceID: Array("b".utf8), nanoseconds: 2, timestamp: 11))
        #expect(exemplars.load(.success, slot: 1) == nil)
        #expect(exemplars.load(.failure, slot: 1)?.traceID == Array(id32.utf8))
        #expect(exemplars.latest(.success)?.slot == 0)
        #expect(exemplars.latest(.timeout) == nil)
    }

    /// Writers store exemplars whose three fields derive from one number; a reader must never see fields of two.
    @Test func readersNeverSeeATornExemplar() async {
        let exemplars = DurationExemplars(slotsPerOutcome: 1)
        await withTaskGroup(of: Int.self) { group in
            for writer in 0..<3 {
                group.addTask {
                    for index in 0..<20_000 {
                        let value = UInt64(writer * 1_000_000 + index)
                        exemplars.store(
                            .failure,
                            slot: 0,
                            traceID: String(value),
                            nanoseconds: value,
                            timestamp: Double(value)
                        )
                    }
                    return 0
                }
            }
            for _ in 0..<2 {
                group.addTask {
                    var checked = 0
                    for _ in 0..<20_000 {
                        guard let exemplar = exemplars.load(.failure, slot: 0) else { continue }
                        #expect(String(decoding: exemplar.traceID, as: UTF8.self) == String(exemplar.nanoseconds))
                        #expect(exemplar.timestamp == Double(exemplar.nanoseconds))
                        checked += 1
                    }
                    return checked
                }
            }
            var checked = 0
            for await count in group { checked += count }
            #expect(exemplars.load(.failure, slot: 0) != nil)
            _ = checked
        }
    }
}
