/// How many calls a breaker has seen since it was created, for the call and rejection rates of the status page
/// (which derives rates from successive snapshots).
public struct CallCounts: Sendable, Hashable {
    /// Calls the breaker ran (success, failure, timeout or ignored).
    public var executed: Int
    /// Of those, the failures and timeouts.
    public var failed: Int
    /// Calls rejected without running.
    public var rejected: Int
    /// Calls a shadow breaker would have rejected (and ran).
    public var shadowRejected: Int

    /// Creates counts.
    public init(executed: Int = 0, failed: Int = 0, rejected: Int = 0, shadowRejected: Int = 0) {
        self.executed = executed
        self.failed = failed
        self.rejected = rejected
        self.shadowRejected = shadowRejected
    }
}
