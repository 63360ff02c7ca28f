import CircuitBreaker
import CircuitBreakerInternals

/// The latest few transitions of each breaker, newest first, for the status API's `recent_transitions` and the
/// status page: a breaker's snapshot holds only its last transition. Fed by the operations monitor on transitions
/// only, so it costs the call path nothing.
final class TransitionHistory: Sendable {
    /// How many transitions are kept per breaker.
    static let depth = 5

    private let byName = Locked<[String: [StateTransition]]>([:])

    /// Records `transition` of the breaker called `name`, in generation order (transitions of one breaker can
    /// reach a monitor from two threads out of order).
    func record(_ transition: StateTransition, of name: String) {
        byName.withLock { byName in
            var recent = byName[name] ?? []
            let index = recent.firstIndex { $0.generation < transition.generation } ?? recent.endIndex
            recent.insert(transition, at: index)
            if recent.count > Self.depth { recent.removeLast(recent.count - Self.depth) }
            byName[name] = recent
        }
    }

    /// The latest transitions of the breaker called `name`, newest first.
    func recentTransitions(of name: String) -> [StateTransition] {
        byName.withLock { $0[name] ?? [] }
    }

    /// The latest transitions of every breaker, by name, read under one lock (for the status list).
    func all() -> [String: [StateTransition]] {
        byName.withLock { $0 }
    }

    /// Forgets the breaker called `name` (it was removed from its registry).
    func forget(_ name: String) {
        byName.withLock { _ = $0.removeValue(forKey: name) }
    }
}
