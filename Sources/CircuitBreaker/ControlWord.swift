/// The breaker's state and generation packed in one word, so that both are read with one atomic load:
/// bits 0–2 hold the ``CircuitState``, the rest the generation (the number of the current state period).
@usableFromInline
struct ControlWord: Hashable, Sendable {
    @usableFromInline
    let rawValue: UInt64

    @inlinable
    init(rawValue: UInt64) {
        self.rawValue = rawValue
    }

    @inlinable
    init(state: CircuitState, generation: UInt64) {
        self.rawValue = generation << 3 | UInt64(state.rawValue)
    }

    @usableFromInline
    static let stateMask: UInt64 = 0b111

    @inlinable
    var isClosed: Bool { rawValue & Self.stateMask == UInt64(CircuitState.closed.rawValue) }

    @inlinable
    var isHalfOpen: Bool { rawValue & Self.stateMask == UInt64(CircuitState.halfOpen.rawValue) }

    @inlinable
    var isOpen: Bool { rawValue & Self.stateMask == UInt64(CircuitState.open.rawValue) }

    @inlinable
    var state: CircuitState { CircuitState(rawValue: UInt8(truncatingIfNeeded: rawValue & Self.stateMask)) ?? .closed }

    @inlinable
    var generation: UInt64 { rawValue >> 3 }

    /// The word of a call a shadow breaker admitted instead of rejecting it: generation 0 (no period has it) and
    /// no valid state, so its outcome is recorded in no store, can settle no trial and can trip nothing.
    @usableFromInline
    static let shadow = ControlWord(rawValue: 0b111)

    /// The word of the next state period.
    @inlinable
    func advanced(to state: CircuitState) -> ControlWord {
        ControlWord(state: state, generation: generation &+ 1)
    }
}

/// Whether a call may run.
@usableFromInline
enum Admission: Sendable {
    case admitted(Permit)
    case rejected(CallRejectedError)
}

/// What an admitted call carries until its outcome is recorded.
@usableFromInline
struct Permit: Sendable {
    /// The control word the call was admitted under: its state and generation.
    @usableFromInline
    let word: ControlWord
    /// Precise clock reading at admission, when durations are measured; else 0.
    @usableFromInline
    let start: Int64

    @inlinable
    init(word: ControlWord, start: Int64) {
        self.word = word
        self.start = start
    }
}
