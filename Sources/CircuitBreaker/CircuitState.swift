import CircuitBreakerInternals

/// The state a circuit breaker is in.
///
/// `closed`, `open` and `halfOpen` are driven by the breaker itself; `forcedOpen` and `disabled` are set by an
/// operator through ``CircuitBreaker/forceOpen()`` and ``CircuitBreaker/disable()`` and left only through
/// ``CircuitBreaker/reset()``.
///
/// An enum on purpose, and frozen in spirit: the five states are the breaker's state machine and the label values
/// of the metric contract, so code may switch over them exhaustively. A new state would change the contract and
/// every dashboard, a breaking change however it were spelled.
public enum CircuitState: UInt8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// Calls pass through; outcomes are recorded and may trip the breaker.
    case closed = 0
    /// Calls are rejected until the open wait has elapsed.
    case open = 1
    /// A bounded number of trial calls pass through to probe the dependency; the rest are rejected.
    case halfOpen = 2
    /// Set by an operator: every call is rejected until ``CircuitBreaker/reset()``.
    case forcedOpen = 3
    /// Set by an operator: every call passes through and is recorded, but the breaker never trips.
    case disabled = 4

    /// The snake-case name used in metric labels and logs: `closed`, `open`, `half_open`, `forced_open`,
    /// `disabled`.
    public var label: String { StateTable.labels[Int(rawValue)] }

    /// Whether a breaker can move from this state to `state`: an operator can move any state to
    /// ``forcedOpen``, ``disabled`` or ``closed``; the breaker itself moves closed → open, open → half-open and
    /// half-open → open or closed.
    public func canTransition(to state: CircuitState) -> Bool {
        StateTable.isPossible(from: rawValue, to: state.rawValue)
    }

    /// Whether a call arriving in this state may be executed (trial limits of half-open aside).
    public var admitsCalls: Bool {
        switch self {
        case .closed, .halfOpen, .disabled: true
        case .open, .forcedOpen: false
        }
    }

    /// Same as ``label``.
    public var description: String { label }
}
