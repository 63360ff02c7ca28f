/// How many calls a breaker has seen since it was created, for the call and rejection rates of the status page
/// (which derives rates from successive snapshots).
struct CallCounts: Sendable, Hashable {
    /// Calls the breaker ran (success, failure, timeout or ignored).
    var executed: Int
    /// Of those, the failures and timeouts.
    var failed: Int
    /// Calls rejected without running.
    var rejected: Int
    /// Calls a shadow breaker would have rejected (and ran).
    var shadowRejected: Int

    /// Creates counts.
    init(executed: Int = 0, failed: Int = 0, rejected: Int = 0, shadowRejected: Int = 0) {
        self.executed = executed
        self.failed = failed
        self.rejected = rejected
        self.shadowRejected = shadowRejected
    }
}
