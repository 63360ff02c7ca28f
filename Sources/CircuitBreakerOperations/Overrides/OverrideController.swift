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
    func apply(
        body: [UInt8],
        to breaker: CircuitBreaker,
        target: OverrideTarget? = nil,
        actor: String
    ) throws(OperationsError) -> BreakerOverride {
        let target = target ?? .breaker(breaker.name)
        let request = try OverrideRequest(body: body, maximumTTL: maximumTTL)
        let now = breaker.clock.wallClockSeconds()
        let override = request.override(by: actor, at: now)
        breaker.apply(override)
        AuditLog.applied(override, to: target, ttl: request.ttl, logger: logger)
        try save(after: "\(request.action) of \(target)")
        return override
    }

    /// Ends the override of `breaker`, if any, on behalf of `actor`; returns the override that ended.
    ///
    /// - Throws: ``OperationsError/Code/notPersisted`` when the state file could not be written.
    @discardableResult
    func clear(
        _ breaker: CircuitBreaker,
        target: OverrideTarget? = nil,
        actor: String
    ) throws(OperationsError) -> BreakerOverride? {
        let target = target ?? .breaker(breaker.name)
        let ended = breaker.clearOverride()
        AuditLog.cleared(ended, on: target, by: actor, logger: logger)
        try save(after: "clearing the override of \(target)")
        return ended
    }

    func save(after action: String) throws(OperationsError) {
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

// Group-wide overrides.
extension OverrideController {
    /// Applies the override `body` asks for to every key of `group` (and its overflow breaker), on behalf of
    /// `actor`, and records it so that keys created while it lasts get it too (see ``OverrideKeeper``); returns it.
    ///
    /// A reset resets every key now and ends the group-wide override, if any (keys' own overrides end too, as a
    /// reset of a breaker ends its override). The keys' own events are not published one by one: `monitor`
    /// publishes one event for the group (see ``GroupBulkAction``).
    ///
    /// - Throws: as ``apply(body:to:target:actor:)``.
    @discardableResult
    func applyToEveryKey(
        body: [UInt8],
        of group: BreakerGroup,
        monitor: OperationsMonitor,
        actor: String
    ) throws(OperationsError) -> BreakerOverride {
        let request = try OverrideRequest(body: body, maximumTTL: maximumTTL)
        let now = group.clock.wallClockSeconds()
        let override = request.override(by: actor, at: now)
        // Recorded before the keys are listed: a key created meanwhile either inherits it or is listed.
        keeper.setGroupOverride(request.action == .reset ? nil : override, of: group.name)
        let breakers = group.breakers + (group.overflowBreaker.map { [$0] } ?? [])
        GroupBulkAction.$group.withValue(group.name) {
            for breaker in breakers { breaker.apply(override) }
        }
        monitor.publishGroupEvent(.overrideApplied, group: group.name, timestamp: now, override: override)
        if request.action == .reset {
            monitor.publishGroupEvent(.reset, group: group.name, timestamp: now, override: nil)
        }
        let target = OverrideTarget.group(group.name)
        AuditLog.applied(override, to: target, ttl: request.ttl, logger: logger)
        try save(after: "\(request.action) of \(target) (\(breakers.count) breakers)")
        return override
    }

    /// Ends the group-wide override of `group`, if any, on behalf of `actor`: every key that holds it (and the
    /// overflow breaker) returns to automatic control, closed; keys with an override of their own keep it.
    /// Returns the override that ended.
    ///
    /// - Throws: ``OperationsError/Code/notPersisted`` when the state file could not be written.
    @discardableResult
    func clearEveryKey(
        of group: BreakerGroup,
        monitor: OperationsMonitor,
        actor: String
    ) throws(OperationsError) -> BreakerOverride? {
        let ended = keeper.groupOverride(of: group.name)
        keeper.setGroupOverride(nil, of: group.name)
        let now = group.clock.wallClockSeconds()
        let target = OverrideTarget.group(group.name)
        if let ended {
            let breakers = group.breakers + (group.overflowBreaker.map { [$0] } ?? [])
            GroupBulkAction.$group.withValue(group.name) {
                for breaker in breakers where breaker.activeOverride == ended { breaker.clearOverride() }
            }
            if ended.expiresAt > now {
                monitor.publishGroupEvent(.overrideEnded, group: group.name, timestamp: now, override: ended)
            }
        }
        AuditLog.cleared(ended.flatMap { $0.expiresAt > now ? $0 : nil }, on: target, by: actor, logger: logger)
        try save(after: "clearing the override of \(target)")
        return ended
    }
}
