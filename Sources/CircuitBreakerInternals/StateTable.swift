/// The states of a circuit breaker as numbers and labels, and which transitions between them can happen.
///
/// The core's `CircuitState` has these raw values; the monitors and the metric contract use the labels and the
/// table of possible transitions from here, so that no module keeps a copy of either.
package enum StateTable {
    /// The raw values of the states.
    package static let closed: UInt8 = 0
    package static let open: UInt8 = 1
    package static let halfOpen: UInt8 = 2
    package static let forcedOpen: UInt8 = 3
    package static let disabled: UInt8 = 4

    /// The number of states.
    package static let count = 5

    /// The label of each state in metrics and logs, by raw value.
    package static let labels = ["closed", "open", "half_open", "forced_open", "disabled"]

    /// Whether a breaker can move from state `from` to state `to` (raw values).
    ///
    /// Every ordered pair of distinct states but five: an operator can move any state to forced open, disabled or
    /// closed (force open, disable, reset); the breaker itself moves closed → open, open → half-open,
    /// half-open → open and half-open → closed. Closed never goes straight to half-open, and forced open and
    /// disabled are left only by an operator, never for open or half-open.
    package static func isPossible(from: UInt8, to: UInt8) -> Bool {
        guard from != to, Int(from) < count, Int(to) < count else { return false }
        switch to {
        case closed, forcedOpen, disabled: return true
        case open: return from == closed || from == halfOpen
        default: return from == open
        }
    }

    /// The index of a pair in a flat table of `count²` entries (every ordered pair, possible or not).
    @inlinable
    package static func pairIndex(from: UInt8, to: UInt8) -> Int {
        Int(from) &* count &+ Int(to)
    }

    /// The size of a flat table of every ordered pair.
    package static let pairCount = count * count

    /// The possible transitions, in a stable order (by `from`, then `to`).
    package static let possiblePairs: [(from: UInt8, to: UInt8)] = (0..<UInt8(count)).flatMap { from in
        (0..<UInt8(count)).compactMap { to in isPossible(from: from, to: to) ? (from, to) : nil }
    }
}
