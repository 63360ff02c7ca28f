/// The newest snapshot of an object that changes in numbered periods (a breaker and its generations), for
/// monitors that mirror it into gauges and counters.
///
/// Transitions of one breaker can reach a monitor from two threads at once, and so out of order; each thread takes
/// a snapshot of the breaker and offers it with its order: the generation, then the age (a reading of a monotonic
/// clock, so that two snapshots of one period are ordered too). A snapshot older than the one applied last is
/// dropped, so the gauges never go back to an earlier period and the counters derived from snapshots never go
/// down. The source is held weakly, so a monitor never keeps a breaker alive.
package final class LatestSnapshot<Source: AnyObject & Sendable, Value: Sendable>: Sendable {
    /// Where a snapshot stands: its generation, then its age within the generation.
    package typealias Order = (generation: UInt64, age: Int64)

    private struct State {
        weak var source: Source?
        var order: Order = (0, .min)
        var value: Value?
    }

    private let state = Locked(State())

    /// An empty cell with no source.
    package init() {}

    /// Sets the object snapshots are read from.
    package func attach(_ source: Source) {
        state.withLock { $0.source = source }
    }

    /// Forgets the source; ``refresh(read:order:apply:)`` does nothing from now on.
    package func detach() {
        state.withLock { $0.source = nil }
    }

    /// Reads a snapshot of the source, if it is still alive, and offers it (see ``offer(_:order:apply:)``). The
    /// source is read outside the cell's lock, so its own lock is never taken while this one is held.
    package func refresh(
        read: (Source) -> Value,
        order: (Value) -> Order,
        apply: (_ new: Value, _ previous: Value?) -> Void
    ) {
        guard let source = state.withLock({ $0.source }) else { return }
        let value = read(source)
        offer(value, order: order(value), apply: apply)
    }

    /// Applies `value` with `apply` (which also gets the value applied before, if any), under the cell's lock,
    /// unless a newer value was applied already; returns whether it applied it.
    @discardableResult
    package func offer(_ value: Value, order: Order, apply: (_ new: Value, _ previous: Value?) -> Void) -> Bool {
        state.withLock { state in
            guard order >= state.order else { return false }
            let previous = state.value
            state.order = order
            state.value = value
            apply(value, previous)
            return true
        }
    }

    /// Offers `value` as ``offer(_:order:apply:)`` does, and returns the value applied last after the offer: `value`,
    /// or a newer one that another thread applied before.
    package func offerReturningLatest(
        _ value: Value,
        order: Order,
        apply: (_ new: Value, _ previous: Value?) -> Void
    ) -> Value? {
        state.withLock { state in
            if order >= state.order {
                let previous = state.value
                state.order = order
                state.value = value
                apply(value, previous)
            }
            return state.value
        }
    }

    /// The source, while attached and alive.
    package var source: Source? {
        state.withLock { $0.source }
    }

    /// The value applied last, if any.
    package var latest: Value? {
        state.withLock { $0.value }
    }
}
