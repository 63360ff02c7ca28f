import CircuitBreakerInternals
import Synchronization

/// The latest exemplar of each duration bucket of one breaker: a trace id, the duration and when it was observed.
///
/// One slot per outcome and classic bucket (the configured bounds and `+Inf`), also with native histograms, so that
/// exemplars spread over the durations that matter. Allocated on the first traced call of the breaker: a breaker
/// that never sees a trace pays one pointer. Each slot is 8 words: a sequence number, the duration, the timestamp,
/// the trace id's length and up to 32 bytes of it (a W3C trace id is 32 hex digits; a longer id is not kept).
///
/// A slot is a sequence lock made of atomics only: a writer moves the sequence from even to odd with a
/// compare-and-exchange (a writer that finds it odd, or loses the race, drops its exemplar: another one is being
/// written at that moment), writes the fields with release stores, and makes the sequence even again. A reader takes
/// the fields with acquire loads between two readings of the sequence and keeps them only if both readings are the
/// same even number. Every access is atomic, so there is no data race, and a reader never sees half of two exemplars.
final class DurationExemplars: @unchecked Sendable {
    // Why `@unchecked Sendable` is safe: `cells` is allocated and initialised in `init`, never reassigned, and
    // deinitialised and freed in `deinit`, when no other reference exists. Between the two, every access goes
    // through an `Atomic`'s atomic operations at an index below `cellCount`, which is immutable.

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
    private let cells: UnsafeMutablePointer<Atomic<UInt64>>
    private let cellCount: Int

    /// Creates empty slots for `slotsPerOutcome` buckets of each executed outcome.
    init(slotsPerOutcome: Int) {
        self.slotsPerOutcome = slotsPerOutcome
        cellCount = ExecutedOutcome.allCases.count * slotsPerOutcome * Self.wordsPerSlot
        cells = .allocate(capacity: cellCount)
        for index in 0..<cellCount {
            (cells + index).initialize(to: Atomic(0))
        }
    }

    deinit {
        cells.deinitialize(count: cellCount)
        cells.deallocate()
    }

    private func base(_ outcome: ExecutedOutcome, _ slot: Int) -> Int {
        (outcome.rawValue &* slotsPerOutcome &+ slot) &* Self.wordsPerSlot
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
        let base = base(outcome, slot)
        let sequence = cells[base].load(ordering: .relaxed)
        guard sequence & 1 == 0,
            cells[base].compareExchange(expected: sequence, desired: sequence &+ 1, ordering: .acquiring).exchanged
        else { return false }
        cells[base &+ 1].store(nanoseconds, ordering: .releasing)
        cells[base &+ 2].store(timestamp.bitPattern, ordering: .releasing)
        cells[base &+ 3].store(UInt64(length), ordering: .releasing)
        cells[base &+ 4].store(words.0, ordering: .releasing)
        cells[base &+ 5].store(words.1, ordering: .releasing)
        cells[base &+ 6].store(words.2, ordering: .releasing)
        cells[base &+ 7].store(words.3, ordering: .releasing)
        cells[base].store(sequence &+ 2, ordering: .releasing)
        return true
    }

    /// The exemplar in `slot` of `outcome`, if one was stored (and could be read whole in a few tries).
    func load(_ outcome: ExecutedOutcome, slot: Int) -> Exemplar? {
        guard slot >= 0, slot < slotsPerOutcome else { return nil }
        let base = base(outcome, slot)
        for _ in 0..<8 {
            let before = cells[base].load(ordering: .acquiring)
            if before == 0 { return nil }
            if before & 1 == 1 { continue }
            let nanoseconds = cells[base &+ 1].load(ordering: .acquiring)
            let timestamp = cells[base &+ 2].load(ordering: .acquiring)
            let length = Int(min(cells[base &+ 3].load(ordering: .acquiring), UInt64(Self.maximumTraceIDLength)))
            var words: (UInt64, UInt64, UInt64, UInt64) = (
                cells[base &+ 4].load(ordering: .acquiring), cells[base &+ 5].load(ordering: .acquiring),
                cells[base &+ 6].load(ordering: .acquiring), cells[base &+ 7].load(ordering: .acquiring)
            )
            guard cells[base].load(ordering: .relaxed) == before else { continue }
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
