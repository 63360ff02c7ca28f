import CircuitBreakerInternals
import PortableRoutes

/// A bounded set of credential digests (``Authenticator/Digest``), oldest forgotten first: the authenticator keeps
/// one of credentials known good and one of credentials known wrong, so that neither a scraper that authenticates
/// every 15 s nor a client repeating a wrong password costs a bcrypt computation each time. It holds digests only
/// (an HMAC with a per-process key), never a password.
package final class DigestCache: Sendable {
    private struct State {
        var members: Set<Authenticator.Digest> = []
        var order: [Authenticator.Digest] = []
        var next = 0
    }

    /// The most digests kept.
    package let capacity: Int
    private let state = Locked(State())

    package init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    package func contains(_ digest: Authenticator.Digest) -> Bool {
        self.state.withLock { $0.members.contains(digest) }
    }

    /// Adds `digest`, forgetting the oldest one when full.
    package func insert(_ digest: Authenticator.Digest) {
        self.state.withLock { state in
            guard state.members.insert(digest).inserted else { return }
            if state.order.count < self.capacity {
                state.order.append(digest)
            } else {
                state.members.remove(state.order[state.next])
                state.order[state.next] = digest
                state.next = (state.next + 1) % self.capacity
            }
        }
    }

    /// Forgets `digest` (the order slot is reused when it comes round).
    package func remove(_ digest: Authenticator.Digest) {
        _ = self.state.withLock { $0.members.remove(digest) }
    }

    package var count: Int {
        self.state.withLock { $0.members.count }
    }
}
