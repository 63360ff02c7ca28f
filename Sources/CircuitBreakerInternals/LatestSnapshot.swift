/// The newest snapshot of an object that changes in numbered periods (a breaker and its generations), for
/// monitors that mirror it into gauges.
///
/// Transitions of one breaker can reach a monitor from two threads at once, and so out of order; each thread takes
/// a snapshot of the breaker and offers it with the snapshot's generation. A snapshot older than the one applied
/// last is dropped, so the gauges never go back to an earlier period. The source is held weakly, so a monitor never
/// keeps a breaker alive.
package final class LatestSnapshot<Source: AnyObject & Sendable, Value: Sendable>: Sendable {
    private struct State {
        weak var source: Source?
        var generation: UInt64 = 0
        var value: Value?
    }

    private let state = Locked(State())

    /// An empty cell with no source.
    package init() {}

    /// Sets the object snapshots are read from.
    package func attach(_ source: Source) {
        state.withLock { $0.source = source }
    }

    /// Forgets the source; ``refresh(read:apply:)`` does nothing from now on.
    package func detach() {
        state.withLock { $0.source = nil }
    }

    /// Reads a snapshot of the source, if it is still alive, and offers it with its generation (see
    /// ``offer(_:generation:apply:)``). The source is read outside the cell's lock, so its own lock is never taken
    /// while this one is held.
    package func refresh(read: (Source) -> Value, generation: (Value) -> UInt64, apply: (Value) -> Void) {
        guard let source = state.withLock({ $0.source }) else { return }
        let value = read(source)
        offer(value, generation: generation(value), apply: apply)
    }

    /// Applies `value` with `apply`, under the cell's lock, unless a value of a newer generation was applied
    /// already; returns whether it applied it.
    @discardableResult
    package func offer(_ value: Value, generation: UInt64, apply: (Value) -> Void) -> Bool {
        state.withLock { state in
            guard generation >= state.generation else { return false }
            state.generation = generation
            state.value = value
            apply(value)
            return true
        }
    }

    /// The value applied last, if any.
    package var latest: Value? {
        state.withLock { $0.value }
    }
}
