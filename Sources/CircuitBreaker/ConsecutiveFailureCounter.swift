import Synchronization

/// Failures in a row, tagged with the generation they belong to, in one atomic word
/// (high 32 bits: generation, truncated; low 32 bits: count). A success from an earlier generation cannot reset
/// the count and a failure from one cannot raise it.
/// Noncopyable and stored inline in the breaker, so that the per-call path reaches it without reference counting.
@usableFromInline
struct ConsecutiveFailureCounter: ~Copyable, Sendable {
    @usableFromInline
    let word: Atomic<UInt64>

    init(generation: UInt64) {
        word = Atomic(Self.tag(generation))
    }

    @inlinable
    static func tag(_ generation: UInt64) -> UInt64 { (generation & 0xFFFF_FFFF) << 32 }

    /// Resets the count if it belongs to `generation`; costs one relaxed load when there is nothing to reset.
    @inlinable
    func recordSuccess(generation: UInt64) {
        let tag = Self.tag(generation)
        var current = word.load(ordering: .relaxed)
        while current & 0xFFFF_FFFF != 0 && current & 0xFFFF_FFFF_0000_0000 == tag {
            let (exchanged, original) = word.compareExchange(
                expected: current,
                desired: tag,
                ordering: .relaxed
            )
            if exchanged { return }
            current = original
        }
    }

    /// Adds a failure of `generation`; returns the new count, or `nil` when the generation is over.
    @usableFromInline
    func recordFailure(generation: UInt64) -> Int? {
        let tag = Self.tag(generation)
        var current = word.load(ordering: .relaxed)
        while current & 0xFFFF_FFFF_0000_0000 == tag {
            let count = current & 0xFFFF_FFFF
            let desired = count == 0xFFFF_FFFF ? current : current &+ 1
            let (exchanged, original) = word.compareExchange(
                expected: current,
                desired: desired,
                ordering: .relaxed
            )
            if exchanged { return Int(desired & 0xFFFF_FFFF) }
            current = original
        }
        return nil
    }

    /// The count, if it belongs to `generation`.
    func count(generation: UInt64) -> Int {
        let current = word.load(ordering: .relaxed)
        return current & 0xFFFF_FFFF_0000_0000 == Self.tag(generation) ? Int(current & 0xFFFF_FFFF) : 0
    }

    /// Starts counting for `generation` from zero.
    func reset(generation: UInt64) {
        word.store(Self.tag(generation), ordering: .relaxed)
    }
}
