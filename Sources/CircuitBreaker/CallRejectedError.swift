import CircuitBreakerInternals
/// Thrown when a breaker refuses to run a call.
///
/// It names the breaker and the state that refused the call, and says when a retry may succeed.
public struct CallRejectedError: Error, Hashable, CustomStringConvertible {
    /// The name of the breaker that rejected the call.
    public let breakerName: String
    /// The state that rejected it: `open`, `forcedOpen`, or `halfOpen` when every trial slot was taken.
    public let state: CircuitState
    /// The retry delay in nanoseconds, or -1 for none: a plain integer, so that building the error on the
    /// rejection path costs no `Duration` arithmetic.
    @usableFromInline
    let retryAfterNanoseconds: Int64

    /// How long until the breaker will admit a call again, as far as it knows: the rest of the open wait for an
    /// open breaker, `.zero` in half-open (a slot may free up any moment), `nil` when forced open (an operator
    /// decides).
    public var retryAfter: Duration? {
        retryAfterNanoseconds < 0 ? nil : .nanoseconds(retryAfterNanoseconds)
    }

    /// Creates a rejection.
    public init(breakerName: String, state: CircuitState, retryAfter: Duration?) {
        self.init(breakerName: breakerName, state: state, retryAfterNanoseconds: retryAfter.map { max($0.nanoseconds, 0) } ?? -1)
    }

    @inlinable
    init(breakerName: String, state: CircuitState, retryAfterNanoseconds: Int64) {
        self.breakerName = breakerName
        self.state = state
        self.retryAfterNanoseconds = retryAfterNanoseconds
    }

    /// For example `circuit breaker "payments" is open; retry after 4.2 seconds`.
    public var description: String {
        let retry = retryAfter.map { "; retry after \($0)" } ?? "; retry when an operator resets it"
        return "circuit breaker \"\(breakerName)\" is \(state.label), call rejected\(retry)"
    }
}
