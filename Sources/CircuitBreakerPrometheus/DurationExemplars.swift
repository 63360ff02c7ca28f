import CircuitBreakerInternals
import Synchronization

/// The latest exemplar of each duration bucket of one breaker: a trace id, the duration and when it was observed.
///
/// One slot per outcome and classic bucket (the configured bounds and `+Inf`), also with native histograms, so that
/// exemplars spread over the durations that matter. Each outcome's slots are allocated at its first traced call
/// (``LazyAtomicBlocks``): a breaker that never sees a trace pays nothing for them, one whose traced calls all
/// succeed pays for one outcome. Each slot is 8 words: a sequence number, the duration, the timestamp, the trace
/// id's length and up to 32 bytes of it (a W3C trace id is 32 hex digits; a longer id is not kept): 64 bytes, so
/// 768 bytes per outcome with the 11 default buckets.
///
/// A slot is a sequence lock made of atomics only: a writer moves the sequence from even to odd with a
/// compare-and-exchange (a writer that finds it odd, or loses the race, drops its exemplar: another one is being
/// written at that moment), writes the fields with release stores, and makes the sequence even again. A reader takes
/// the fields with acquire loads between two readings of the sequence and keeps them only if both readings are the
/// same even number. Every access is atomic, so there is no data race, and a reader never sees half of two exemplars.
final class DurationExemplars: Sendable {

    /// One exemplar as rendered.
    struct Exemplar: Equatable {
        /// The trace id's bytes (UTF-8).
        var traceID: [UInt8]
        /// The observed duration.
        var nanoseconds: UInt64
        /// Seconds since the Unix epoch.
        var timestamp: Double
    }

    /// The longest trace id kept, in bytes.
    static let maximumTraceIDLength = 32
    private static let wordsPerSlot = 4 + maximumTraceIDLength / 8

    /// Slots per outcome: the classic buckets, `+Inf` included.
    let slotsPerOutcome: Int
    /// Each outcome's slots, by raw value.
    private let blocks: LazyAtomicBlocks

    /// Creates empty slots for `slotsPerOutcome` buckets of each executed outcome.
    init(slotsPerOutcome: Int) {
        self.slotsPerOutcome = slotsPerOutcome
        blocks = LazyAtomicBlocks(
            count: ExecutedOutcome.allCases.count,
            cellsPerBlock: slotsPerOutcome * Self.wordsPerSlot
        )
    }

    /// Stores an exemplar in `slot` of `outcome`, replacing the one there; returns false (and stores nothing) if the
    /// trace id is empty or longer than ``maximumTraceIDLength`` bytes, or another thread is writing the slot.
    @discardableResult
    func store(
        _ outcome: ExecutedOutcome,
        slot: Int,
        traceID: some StringProtocol,
        nanoseconds: UInt64,
        timestamp: Double
    ) -> Bool {
        let length = traceID.utf8.count
        guard length > 0, length <= Self.maximumTraceIDLength, slot >= 0, slot < slotsPerOutcome else { return false }
        var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        withUnsafeMutableBytes(of: &words) { raw in
            for (offset, byte) in traceID.utf8.enumerated() { raw[offset] = byte }
        }
        let cells = blocks.blockCreating(outcome.rawValue) + slot &* Self.wordsPerSlot
        let sequence = cells[0].load(ordering: .relaxed)
        guard sequence & 1 == 0,
            cells[0].compareExchange(expected: sequence, desired: sequence &+ 1, ordering: .acquiring).exchanged
        else { return false }
        cells[1].store(nanoseconds, ordering: .releasing)
        cells[2].store(timestamp.bitPattern, ordering: .releasing)
        cells[3].store(UInt64(length), ordering: .releasing)
        cells[4].store(words.0, ordering: .releasing)
        cells[5].store(words.1, ordering: .releasing)
        cells[6].store(words.2, ordering: .releasing)
        cells[7].store(words.3, ordering: .releasing)
        cells[0].store(sequence &+ 2, ordering: .releasing)
        return true
    }

    /// The exemplar in `slot` of `outcome`, if one was stored (and could be read whole in a few tries).
    func load(_ outcome: ExecutedOutcome, slot: Int) -> Exemplar? {
        guard slot >= 0, slot < slotsPerOutcome, let block = blocks.block(outcome.rawValue) else { return nil }
        let cells = block + slot &* Self.wordsPerSlot
        for _ in 0..<8 {
            let before = cells[0].load(ordering: .acquiring)
            if before == 0 { return nil }
            if before & 1 == 1 { continue }
            let nanoseconds = cells[1].load(ordering: .acquiring)
            let timestamp = cells[2].load(ordering: .acquiring)
            let length = Int(min(cells[3].load(ordering: .acquiring), UInt64(Self.maximumTraceIDLength)))
            var words: (UInt64, UInt64, UInt64, UInt64) = (
                cells[4].load(ordering: .acquiring), cells[5].load(ordering: .acquiring),
                cells[6].load(ordering: .acquiring), cells[7].load(ordering: .acquiring)
            )
            guard cells[0].load(ordering: .relaxed) == before else { continue }
            let traceID = withUnsafeBytes(of: &words) { Array($0.prefix(length)) }
            return Exemplar(traceID: traceID, nanoseconds: nanoseconds, timestamp: Double(bitPattern: timestamp))
        }
        return nil
    }

    /// The most recent exemplar of `outcome` over every slot, and its slot.
    func latest(_ outcome: ExecutedOutcome) -> (slot: Int, exemplar: Exemplar)? {
        var latest: (slot: Int, exemplar: Exemplar)?
        for slot in 0..<slotsPerOutcome {
            guard let exemplar = load(outcome, slot: slot) else { continue }
            if latest.map({ exemplar.timestamp > $0.exemplar.timestamp }) ?? true { latest = (slot, exemplar) }
        }
        return latest
    }
}
