/// Thrown when a breaker refuses to run a call.
///
/// It names the breaker and the state that refused the call, and says when a retry may succeed.
public struct CallRejectedError: Error, Hashable, CustomStringConvertible {
    /// The name of the breaker that rejected the call.
    public let breakerName: String
    /// The state that rejected it: `open`, `forcedOpen`, or `halfOpen` when every trial slot was taken.
    public let state: CircuitState
    /// How long until the breaker will admit a call again, as far as it knows: the rest of the open wait for an
    /// open breaker, `.zero` in half-open (a slot may free up any moment), `nil` when forced open (an operator
    /// decides).
    public let retryAfter: Duration?

    /// Creates a rejection.
    public init(breakerName: String, state: CircuitState, retryAfter: Duration?) {
        self.breakerName = breakerName
        self.state = state
        self.retryAfter = retryAfter
    }

    /// For example `circuit breaker "payments" is open; retry after 4.2 seconds`.
    public var description: String {
        let retry = retryAfter.map { "; retry after \($0)" } ?? "; retry when an operator resets it"
        return "circuit breaker \"\(breakerName)\" is \(state.label), call rejected\(retry)"
    }
}
