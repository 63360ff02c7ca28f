/// A breaker-level event on its way to the monitors: everything but the per-call events.
enum BreakerEvent: Sendable {
    case transition(StateTransition)
    case overrideApplied(BreakerOverride, restored: Bool)
    case overrideEnded(BreakerOverride, expired: Bool)
    case reset
}

/// The breaker's events queued for the monitors, so that they are delivered exactly once and in the order they
/// happened, without a monitor ever being called under the breaker's lock.
///
/// Events are appended under the breaker's lock, so the queue's order is the lock's order, which is generation
/// order. One thread at a time delivers (`delivering`): the one that finds the queue idle when it releases the
/// lock claims it and delivers batches until it finds the queue empty, under the lock, and gives it up. A thread
/// that queues an event while another delivers leaves it to that one. So every event is delivered once, in
/// order, and a monitor that calls back into the breaker (reads its state, applies an override) only queues more
/// events for the loop it is called from, with no lock held and no deadlock.
///
/// Before this, each thread reported its own transitions after releasing the lock, so two threads could deliver
/// generations 4 and 5 in the order 5, 4 (the spin model in `Verification/` shows the interleaving).
struct BreakerEventOutbox: Sendable {
    private var pending: [BreakerEvent] = []
    private var delivering = false

    /// Queues `event`. Under the breaker's lock.
    mutating func post(_ event: BreakerEvent) {
        pending.append(event)
    }

    /// The events to deliver now, which makes the caller the deliverer: empty when there are none or another
    /// thread is delivering. Under the breaker's lock.
    mutating func claim() -> [BreakerEvent] {
        guard !delivering, !pending.isEmpty else { return [] }
        delivering = true
        return take()
    }

    /// The events queued while the deliverer delivered the last batch; empty when there are none, and then the
    /// caller is no longer the deliverer. Under the breaker's lock.
    mutating func next() -> [BreakerEvent] {
        if pending.isEmpty { delivering = false }
        return take()
    }

    private mutating func take() -> [BreakerEvent] {
        defer { pending = [] }
        return pending
    }
}
