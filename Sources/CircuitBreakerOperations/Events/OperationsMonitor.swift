import CircuitBreaker
import CircuitBreakerInternals
import Logging

/// The operations module's monitor: publishes transitions, overrides and resets to the event stream, restores
/// saved overrides as breakers are registered (and as groups create keys), and has overrides saved when they
/// change.
///
/// It does not observe calls (``observesCalls`` is `false`), so breakers skip it on every call: the event stream
/// costs the call path nothing, with or without clients, and publishing happens only on transitions, overrides
/// and resets.
///
/// Given to a ``/CircuitBreaker/BreakerGroup`` (directly, or through the registry's monitors), it binds a
/// ``GroupOperationsMonitor``: the group is listed by the status API, each key's events carry the group and the
/// key, and each key's history lasts as long as the key.
final class OperationsMonitor: BreakerMonitor {
    let hub: EventHub
    let keeper: OverrideKeeper
    let history = TransitionHistory()
    /// Each registry breaker's policy object for the status API, rendered once when the breaker is created.
    let policies = Locked<[String: [UInt8]]>([:])
    /// The groups this monitor is attached to.
    let groups = GroupDirectory()
    let logger: Logger

    init(hub: EventHub, keeper: OverrideKeeper, logger: Logger) {
        self.hub = hub
        self.keeper = keeper
        self.logger = logger
    }

    /// A monitor per breaker, so that the breaker can be forgotten by identity when it is removed.
    func bind(to breaker: BreakerDescription) throws -> any BreakerMonitor {
        let policy = PolicyStatus.render(breaker.configuration)
        policies.withLock { $0[breaker.name] = policy }
        return BoundOperationsMonitor(shared: self, identity: .breaker(breaker.name))
    }

    /// A monitor per group: see ``GroupOperationsMonitor``.
    func bind(toGroup group: BreakerGroupDescription) throws -> any BreakerMonitor {
        GroupOperationsMonitor(shared: self, description: group)
    }

    var observesCalls: Bool { false }

    func publish(_ make: (UInt64) -> OperationsEvent) {
        let dropped = hub.publish(make)
        if dropped > 0 {
            logger.warning(
                "event stream: dropped \(dropped) client(s) whose queue was full",
                metadata: ["dropped_clients_total": "\(hub.droppedClients)"]
            )
        }
    }

    /// Publishes a group's own event (a group-wide override applied or ended, every key reset).
    func publishGroupEvent(
        _ kind: OperationsEvent.Kind,
        group: String,
        timestamp: Double,
        override: BreakerOverride?,
        complete: (inout OperationsEvent) -> Void = { _ in }
    ) {
        publish { id in
            var event = OperationsEvent(id: id, kind: kind, breaker: group, timestamp: timestamp, override: override)
            event.group = group
            complete(&event)
            return event
        }
    }
}

/// ``OperationsMonitor`` bound to one group: lists the group for the status API while it is attached, and binds
/// each of its breakers (each key's, and the overflow breaker) with its identity.
final class GroupOperationsMonitor: BreakerMonitor {
    let shared: OperationsMonitor
    let description: BreakerGroupDescription
    /// The policy object of the group's template, rendered once: keys whose configuration is the template's
    /// (nearly all) share it.
    let templatePolicy: [UInt8]
    /// The last group-wide override whose expiry was published, so that it is published once, not once a key.
    private let reportedExpiry = Locked<BreakerOverride?>(nil)

    init(shared: OperationsMonitor, description: BreakerGroupDescription) {
        self.shared = shared
        self.description = description
        self.templatePolicy = PolicyStatus.render(description.template)
    }

    var observesCalls: Bool { false }

    func bind(to breaker: BreakerDescription) throws -> any BreakerMonitor {
        let scope: BreakerIdentity.Scope = breaker.key.map { .key($0) } ?? .overflow
        return BoundOperationsMonitor(
            shared: shared,
            identity: BreakerIdentity(name: description.name, scope: scope),
            group: self
        )
    }

    func didAttach(toGroup group: BreakerGroup) {
        shared.groups.add(group, monitor: self)
    }

    func didDetach(fromGroup group: BreakerGroupDescription) {
        shared.groups.remove(self)
        shared.history.forgetGroup(group.name)
    }

    /// Whether `override`, seen on one of the group's breakers, is the group-wide one (so it is reported once, as
    /// the group's, rather than by each key).
    func isGroupWide(_ override: BreakerOverride) -> Bool {
        shared.keeper.groupOverride(of: description.name) == override
    }

    /// Returns `true` the first time the group-wide `override` is seen to expire.
    func firstExpiry(of override: BreakerOverride) -> Bool {
        reportedExpiry.withLock { reported in
            guard reported != override else { return false }
            reported = override
            return true
        }
    }
}

/// ``OperationsMonitor`` bound to one breaker: a registry's, a group's key, or a group's overflow breaker.
final class BoundOperationsMonitor: BreakerMonitor {
    private let shared: OperationsMonitor
    private let identity: BreakerIdentity
    private let group: GroupOperationsMonitor?
    private let attached = Locked<ObjectIdentifier?>(nil)

    init(shared: OperationsMonitor, identity: BreakerIdentity, group: GroupOperationsMonitor? = nil) {
        self.shared = shared
        self.identity = identity
        self.group = group
    }

    var observesCalls: Bool { false }

    /// Whether the current thread acts on every key of this breaker's group (see ``GroupBulkAction``).
    private var inBulkAction: Bool {
        identity.inGroup && GroupBulkAction.group == identity.name
    }

    func didAttach(to breaker: CircuitBreaker) {
        attached.withLock { $0 = ObjectIdentifier(breaker) }
        switch identity.scope {
        case .breaker: shared.keeper.attach(breaker, target: .breaker(identity.name))
        case .key(let key): shared.keeper.attach(breaker, target: .key(group: identity.name, key: key))
        case .overflow: shared.keeper.attach(breaker, target: nil, group: identity.name)
        }
    }

    func didDetach(from breaker: BreakerDescription) {
        if let attached = attached.withLock({ $0 }) { shared.keeper.detach(attached) }
        shared.history.forget(identity)
        if identity.scope == .breaker {
            shared.policies.withLock { _ = $0.removeValue(forKey: breaker.name) }
        }
    }

    func stateChanged(_ breaker: CircuitBreaker, transition: StateTransition) {
        shared.history.record(transition, of: identity)
        guard !inBulkAction else { return }
        shared.publish { id in
            OperationsEvent(
                id: id,
                kind: .transition,
                breaker: breaker.name,
                identity: identity.scope,
                timestamp: transition.timestamp,
                transition: transition
            )
        }
    }

    func breakerReset(_ breaker: CircuitBreaker) {
        guard !inBulkAction else { return }
        let now = breaker.clock.wallClockSeconds()
        shared.publish {
            OperationsEvent(id: $0, kind: .reset, breaker: breaker.name, identity: identity.scope, timestamp: now)
        }
    }

    func overrideApplied(_ breaker: CircuitBreaker, override: BreakerOverride, restored: Bool) {
        if !restored { shared.keeper.markDirty() }
        // The group-wide override reaching a key (applied to all, or inherited by a new key) is the group's event.
        if inBulkAction || group?.isGroupWide(override) == true { return }
        publish(.overrideApplied, override, of: breaker) { $0.restored = restored }
    }

    func overrideEnded(_ breaker: CircuitBreaker, override: BreakerOverride, expired: Bool) {
        shared.keeper.markDirty()
        if inBulkAction { return }
        if expired, let group, group.isGroupWide(override) {
            // Each key notices the expiry on its own; the group's event is published by the first. (Ended on one
            // key only, by that key's DELETE or own override, it is that key's event.)
            guard group.firstExpiry(of: override) else { return }
            shared.publishGroupEvent(
                .overrideEnded,
                group: identity.name,
                timestamp: breaker.clock.wallClockSeconds(),
                override: override
            ) { $0.expired = true }
            return
        }
        publish(.overrideEnded, override, of: breaker) { $0.expired = expired }
    }

    private func publish(
        _ kind: OperationsEvent.Kind,
        _ override: BreakerOverride,
        of breaker: CircuitBreaker,
        _ complete: (inout OperationsEvent) -> Void
    ) {
        let now = breaker.clock.wallClockSeconds()
        shared.publish { id in
            var event = OperationsEvent(
                id: id,
                kind: kind,
                breaker: breaker.name,
                identity: identity.scope,
                timestamp: now,
                override: override
            )
            complete(&event)
            return event
        }
    }
}
