#if HummingbirdSupport
import CircuitBreakerInternals
import HTTPTypes
import Hummingbird
import MetricsEndpoint
import PortableRoutes

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The credentials check of the Hummingbird routes: the same rules, caches, limits and bcrypt pool as
/// `MetricsServer`'s request gate, over the same web configuration.
///
/// - ``AccessLevel/public`` needs nothing. ``AccessLevel/scrape`` needs a scrape or admin user, unless the web
///   configuration lists no scrape users: then it is public, and an admin's credentials still name the admin (so
///   the status page shows its buttons) while wrong ones leave the request anonymous. ``AccessLevel/admin`` needs an
///   admin user: 401 with a challenge without (or with wrong) credentials, 403 for a scrape user; with no admin
///   users at all, admin routes refuse everyone.
/// - bcrypt never runs on an event loop: a check that needs it waits (suspended, no thread held) for one of the
///   ``AuthenticationPool``'s threads, which take the waiting checks one client address at a time. Known good and
///   known wrong credentials are cached by an HMAC digest; failures are limited per address (429 with
///   `Retry-After`).
/// - The client address comes from a context that conforms to `RemoteAddressRequestContext` (Hummingbird's own
///   `TracingMiddleware` reads it the same way); with another context every client shares one address, so the
///   per-address limits apply to all clients together.
final class AccessGate: Sendable {
    /// What a check decided.
    enum Outcome: Sendable {
        /// Go on, as this user (or anonymous).
        case allowed(AuthenticatedUser?)
        /// Refused with this answer.
        case refused(GateRefusal)
    }

    private let authenticator: Authenticator?
    private let pool: AuthenticationPool?
    private let clock = SystemMonotonicClock()
    /// The pool's threads start with the first check that needs them.
    private let started = Locked(false)
    /// How long a check may wait for a pool thread before the request is answered 503.
    private static let checkDeadline: Duration = .seconds(15)

    init(basicAuth: WebConfiguration.BasicAuth?) {
        let authenticator = basicAuth.map { Authenticator(configuration: $0) }
        self.authenticator = authenticator
        self.pool = authenticator.map { AuthenticationPool(authenticator: $0, clock: SystemMonotonicClock()) }
    }

    deinit {
        if self.started.withLock({ $0 }) { self.pool?.close() }
    }

    /// The realm of the `WWW-Authenticate` challenge.
    var realm: String { self.authenticator?.realm ?? "metrics" }

    /// Checks the request's credentials for a route of `level`.
    func check(_ head: HTTPRequest, level: AccessLevel, peer: PeerAddress) async -> Outcome {
        if level == .public { return .allowed(nil) }
        guard let authenticator else {
            // No users at all: scrape routes are public, admin routes closed.
            return level == .scrape ? .allowed(nil) : .refused(.unauthorized(realm: self.realm))
        }
        let authorization = head.headerFields[.authorization].map { Array($0.utf8) }
        let optional = level == .scrape && !authenticator.hasScrapeUsers
        if optional {
            guard let authorization, authenticator.hasAdminUsers else { return .allowed(nil) }
            switch await self.authenticate(authorization, level: .admin, peer: peer) {
            case .allowed(let user): return .allowed(user)
            case .refused: return .allowed(nil)
            }
        }
        guard let authorization else { return .refused(.unauthorized(realm: self.realm)) }
        let outcome = await self.authenticate(authorization, level: level, peer: peer)
        guard case .allowed(let user?) = outcome else { return outcome }
        return user.level >= level ? .allowed(user) : .refused(.forbidden)
    }

    /// The user of an `Authorization` header, bcrypt on the pool when no cache knows the answer.
    private func authenticate(_ header: [UInt8], level: AccessLevel, peer: PeerAddress) async -> Outcome {
        guard let authenticator, let pool else { return .refused(.unauthorized(realm: self.realm)) }
        let now = self.clock.nanoseconds()
        switch authenticator.screen(header: header, level: level, peer: peer, now: now) {
        case .user(let user):
            return .allowed(user)
        case .refused(.unauthorized):
            return .refused(.unauthorized(realm: self.realm))
        case .refused(.tooManyFailedLogins(let seconds)):
            return .refused(.tooManyFailedLogins(retryAfter: min(max(seconds, 1), 60)))
        case .verify(let job):
            guard self.startPool() else {
                authenticator.limiter.giveBack(peer, now: now)
                return .refused(.authenticationUnavailable)
            }
            let pending = PendingAuthentication(
                job: job,
                deadline: now &+ UInt64(Self.checkDeadline.components.seconds) * 1_000_000_000
            )
            switch pool.submit(pending) {
            case .queued: break
            case .addressFull: return .refused(.authenticationUnavailable)
            case .unavailable:
                authenticator.limiter.giveBack(peer, now: now)
                return .refused(.authenticationUnavailable)
            }
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                if !pending.park(wake: { continuation.resume() }) { continuation.resume() }
            }
            switch pending.outcome {
            case .user(let user): return .allowed(user)
            case .refused: return .refused(.unauthorized(realm: self.realm))
            case .unavailable, nil: return .refused(.authenticationUnavailable)
            }
        }
    }

    /// Starts the pool's threads once; false when the system refused a thread.
    private func startPool() -> Bool {
        guard let pool else { return false }
        return self.started.withLock { started in
            if started { return true }
            started = pool.start()
            return started
        }
    }

    /// The client's address: from a `RemoteAddressRequestContext`, or one shared address.
    static func peer(of context: some RequestContext) -> PeerAddress {
        guard let text = (context as? any RemoteAddressRequestContext)?.remoteAddress?.ipAddress else {
            return PeerAddress(high: 0, low: 0)
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 {
            return PeerAddress(bytes: withUnsafeBytes(of: &v6) { Array($0) })
        }
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            return PeerAddress(bytes: withUnsafeBytes(of: &v4) { Array($0) })
        }
        return PeerAddress(high: 0, low: 0)
    }
}
#endif
