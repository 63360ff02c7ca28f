import CircuitBreakerInternals

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
    private let cells: AtomicCells

    /// Creates empty slots for `slotsPerOutcome` buckets of each executed outcome.
    init(slotsPerOutcome: Int) {
        self.slotsPerOutcome = slotsPerOutcome
        cells = AtomicCells(count: ExecutedOutcome.allCases.count * slotsPerOutcome * Self.wordsPerSlot)
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
        let sequence = cells.load(base)
        guard sequence & 1 == 0, cells.compareExchange(expected: sequence, desired: sequence &+ 1, at: base) else {
            return false
        }
        cells.storeReleasing(nanoseconds, at: base &+ 1)
        cells.storeReleasing(timestamp.bitPattern, at: base &+ 2)
        cells.storeReleasing(UInt64(length), at: base &+ 3)
        cells.storeReleasing(words.0, at: base &+ 4)
        cells.storeReleasing(words.1, at: base &+ 5)
        cells.storeReleasing(words.2, at: base &+ 6)
        cells.storeReleasing(words.3, at: base &+ 7)
        cells.storeReleasing(sequence &+ 2, at: base)
        return true
    }

    /// The exemplar in `slot` of `outcome`, if one was stored (and could be read whole in a few tries).
    func load(_ outcome: ExecutedOutcome, slot: Int) -> Exemplar? {
        guard slot >= 0, slot < slotsPerOutcome else { return nil }
        let base = base(outcome, slot)
        for _ in 0..<8 {
            let before = cells.loadAcquiring(base)
            if before == 0 { return nil }
            if before & 1 == 1 { continue }
            let nanoseconds = cells.loadAcquiring(base &+ 1)
            let timestamp = cells.loadAcquiring(base &+ 2)
            let length = Int(min(cells.loadAcquiring(base &+ 3), UInt64(Self.maximumTraceIDLength)))
            var words: (UInt64, UInt64, UInt64, UInt64) = (
                cells.loadAcquiring(base &+ 4), cells.loadAcquiring(base &+ 5),
                cells.loadAcquiring(base &+ 6), cells.loadAcquiring(base &+ 7)
            )
            guard cells.load(base) == before else { continue }
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
