import CircuitBreaker
import CircuitBreakerInternals
import Logging

/// The operations module's monitor: publishes transitions, overrides and resets to the event stream, restores
/// saved overrides as breakers are registered, and has overrides saved when they change.
///
/// It does not observe calls (``observesCalls`` is `false`), so breakers skip it on every call: the event stream
/// costs the call path nothing, with or without clients, and publishing happens only on transitions, overrides
/// and resets.
final class OperationsMonitor: BreakerMonitor {
    let hub: EventHub
    let keeper: OverrideKeeper
    let history = TransitionHistory()
    /// Each breaker's policy object for the status API, rendered once when the breaker is created.
    let policies = Locked<[String: [UInt8]]>([:])
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
        return BoundOperationsMonitor(shared: self)
    }

    var observesCalls: Bool { false }

    func publish(_ breaker: CircuitBreaker, _ make: (UInt64) -> OperationsEvent) {
        let dropped = hub.publish(make)
        if dropped > 0 {
            logger.warning(
                "event stream: dropped \(dropped) client(s) whose queue was full",
                metadata: ["dropped_clients_total": "\(hub.droppedClients)"]
            )
        }
    }
}

/// ``OperationsMonitor`` bound to one breaker.
final class BoundOperationsMonitor: BreakerMonitor {
    private let shared: OperationsMonitor
    private let identity = Locked<ObjectIdentifier?>(nil)

    init(shared: OperationsMonitor) {
        self.shared = shared
    }

    var observesCalls: Bool { false }

    func didAttach(to breaker: CircuitBreaker) {
        identity.withLock { $0 = ObjectIdentifier(breaker) }
        shared.keeper.attach(breaker)
    }

    func didDetach(from breaker: BreakerDescription) {
        if let identity = identity.withLock({ $0 }) { shared.keeper.detach(identity) }
        shared.history.forget(breaker.name)
        shared.policies.withLock { _ = $0.removeValue(forKey: breaker.name) }
    }

    func stateChanged(_ breaker: CircuitBreaker, transition: StateTransition) {
        shared.history.record(transition, of: breaker.name)
        shared.publish(breaker) { id in
            OperationsEvent(
                id: id,
                kind: .transition,
                breaker: breaker.name,
                timestamp: transition.timestamp,
                transition: transition
            )
        }
    }

    func breakerReset(_ breaker: CircuitBreaker) {
        let now = breaker.clock.wallClockSeconds()
        shared.publish(breaker) { OperationsEvent(id: $0, kind: .reset, breaker: breaker.name, timestamp: now) }
    }

    func overrideApplied(_ breaker: CircuitBreaker, override: BreakerOverride, restored: Bool) {
        publish(.overrideApplied, override, of: breaker) { $0.restored = restored }
        if !restored { shared.keeper.markDirty() }
    }

    func overrideEnded(_ breaker: CircuitBreaker, override: BreakerOverride, expired: Bool) {
        publish(.overrideEnded, override, of: breaker) { $0.expired = expired }
        shared.keeper.markDirty()
    }

    private func publish(
        _ kind: OperationsEvent.Kind,
        _ override: BreakerOverride,
        of breaker: CircuitBreaker,
        _ complete: (inout OperationsEvent) -> Void
    ) {
        let now = breaker.clock.wallClockSeconds()
        shared.publish(breaker) { id in
            var event = OperationsEvent(id: id, kind: kind, breaker: breaker.name, timestamp: now, override: override)
            complete(&event)
            return event
        }
    }
}
