import CircuitBreaker
import CircuitBreakerInternals

/// The latest few transitions of each breaker, newest first, for the status API's `recent_transitions` and the
/// status page: a breaker's snapshot holds only its last transition. Fed by the operations monitor on transitions
/// only, so it costs the call path nothing.
///
/// Bounded: a breaker's entry is forgotten when it leaves its registry, and a group's key when the group evicts
/// it (its breaker is detached from its monitors), so the history holds at most ``depth`` transitions for each
/// breaker and each key that exists now.
final class TransitionHistory: Sendable {
    /// How many transitions are kept per breaker.
    static let depth = 5

    private let byIdentity = Locked<[BreakerIdentity: [StateTransition]]>([:])

    /// Records `transition` of the breaker `identity`, in generation order (transitions of one breaker can reach a
    /// monitor from two threads out of order).
    func record(_ transition: StateTransition, of identity: BreakerIdentity) {
        byIdentity.withLock { byIdentity in
            var recent = byIdentity[identity] ?? []
            let index = recent.firstIndex { $0.generation < transition.generation } ?? recent.endIndex
            recent.insert(transition, at: index)
            if recent.count > Self.depth { recent.removeLast(recent.count - Self.depth) }
            byIdentity[identity] = recent
        }
    }

    /// The latest transitions of the breaker `identity`, newest first.
    func recentTransitions(of identity: BreakerIdentity) -> [StateTransition] {
        byIdentity.withLock { $0[identity] ?? [] }
    }

    /// The latest transitions of the registry's breaker called `name`, newest first.
    func recentTransitions(of name: String) -> [StateTransition] {
        recentTransitions(of: .breaker(name))
    }

    /// The latest transitions of every breaker, read under one lock (for the status list).
    func all() -> [BreakerIdentity: [StateTransition]] {
        byIdentity.withLock { $0 }
    }

    /// Forgets the breaker `identity` (it was removed from its registry, or its key evicted).
    func forget(_ identity: BreakerIdentity) {
        byIdentity.withLock { _ = $0.removeValue(forKey: identity) }
    }

    /// Forgets every breaker of the group called `name` (it was removed from its registry).
    func forgetGroup(_ name: String) {
        byIdentity.withLock { byIdentity in
            byIdentity = byIdentity.filter { !($0.key.inGroup && $0.key.name == name) }
        }
    }

    /// How many breakers have a history now.
    var count: Int {
        byIdentity.withLock { $0.count }
    }
}
