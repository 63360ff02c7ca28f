import CircuitBreaker

/// The state transitions a breaker can make, each of which gets a `circuit_breaker_transitions_total` series at 0
/// from registration.
///
/// Every ordered pair of distinct states but five: an operator can move any state to `forced_open`, `disabled` or
/// `closed` (``CircuitBreaker/forceOpen()``, ``CircuitBreaker/disable()``, ``CircuitBreaker/reset()``); the breaker
/// itself moves closed → open, open → half_open, half_open → open and half_open → closed. Closed never goes
/// straight to half_open, and forced_open and disabled are left only by an operator, never for open or half_open.
enum TransitionPairs {
    static func isPossible(from: CircuitState, to: CircuitState) -> Bool {
        guard from != to else { return false }
        switch to {
        case .closed, .forcedOpen, .disabled:
            return true
        case .open:
            return from == .closed || from == .halfOpen
        case .halfOpen:
            return from == .open
        }
    }

    /// The index of a pair in a flat table of `CircuitState.allCases.count²` entries.
    static func index(from: CircuitState, to: CircuitState) -> Int {
        Int(from.rawValue) * stateCount + Int(to.rawValue)
    }

    static let stateCount = CircuitState.allCases.count
    static let tableSize = stateCount * stateCount

    /// The possible pairs, in a stable order.
    static let all: [(from: CircuitState, to: CircuitState)] = CircuitState.allCases.flatMap { from in
        CircuitState.allCases.compactMap { to in isPossible(from: from, to: to) ? (from, to) : nil }
    }
}
