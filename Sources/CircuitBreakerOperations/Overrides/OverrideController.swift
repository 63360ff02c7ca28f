import CircuitBreaker
import Logging

/// Carries out the override API: applies and clears overrides, writes the audit line, and saves the state file
/// before the API answers.
struct OverrideController: Sendable {
    let keeper: OverrideKeeper
    let maximumTTL: Duration
    let logger: Logger

    /// Applies the override `body` asks for to `breaker`, on behalf of `actor`; returns it.
    ///
    /// - Throws: ``OperationsError`` for a body the API refuses (nothing is applied then), or
    ///   ``OperationsError/Code/notPersisted`` when the override is in force but the state file could not be
    ///   written.
    @discardableResult
    func apply(body: [UInt8], to breaker: CircuitBreaker, actor: String) throws(OperationsError) -> BreakerOverride {
        let request = try OverrideRequest(body: body, maximumTTL: maximumTTL)
        let now = breaker.clock.wallClockSeconds()
        let override = BreakerOverride(
            action: request.action,
            reason: request.reason,
            actor: actor,
            appliedAt: now,
            expiresAt: request.action == .reset ? now : now + request.ttl.secondsValue
        )
        breaker.apply(override)
        AuditLog.applied(override, to: breaker.name, ttl: request.ttl, logger: logger)
        try save(after: "\(request.action) of \(breaker.name)")
        return override
    }

    /// Ends the override of `breaker`, if any, on behalf of `actor`; returns the override that ended.
    ///
    /// - Throws: ``OperationsError/Code/notPersisted`` when the state file could not be written.
    @discardableResult
    func clear(_ breaker: CircuitBreaker, actor: String) throws(OperationsError) -> BreakerOverride? {
        let ended = breaker.clearOverride()
        AuditLog.cleared(ended, on: breaker.name, by: actor, logger: logger)
        try save(after: "clearing the override of \(breaker.name)")
        return ended
    }

    private func save(after action: String) throws(OperationsError) {
        do {
            try keeper.save()
        } catch {
            logger.error("override state file not written: \(error.message)", metadata: ["code": "\(error.code)"])
            throw OperationsError(
                .notPersisted,
                "the \(action) is in force, but it was not saved and would not survive a restart: \(error.message)"
            )
        }
    }
}
