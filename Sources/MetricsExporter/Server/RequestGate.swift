import HTTPTypes
import MetricsEndpoint
import PortableRoutes

/// What the gate decided about a request.
enum Verdict {
    /// The request may go to its route.
    case admit(Admission)
    /// The request is refused with a fixed answer.
    case reject(Rejection)
    /// Its credentials are being checked (see ``PendingAuthentication``); the gate decides once they are.
    case authenticating
}

/// An admitted request: its route, the route's group, the decoded path parameters and the user.
struct Admission {
    let route: Int
    let group: Int
    let parameters: [String: String]
    let user: AuthenticatedUser?
}

/// The gate's refusals.
enum Rejection: Error, Equatable {
    /// A path parameter, a query parameter or the request target is not valid percent-encoded UTF-8.
    case badRequest
    /// No credentials, or wrong ones; answered with a `WWW-Authenticate` challenge.
    case unauthorized
    /// A valid user whose level is too low for the route.
    case forbidden
    /// A state-changing request from another site (see ``CrossSiteGuard``).
    case crossSite
    /// No route has the path.
    case notFound
    /// The path's routes do not answer the method; answered with the group's `Allow`.
    case methodNotAllowed(group: Int)
    /// The body is larger than the route takes (or the route takes none).
    case contentTooLarge
    /// A state-changing request whose body is not declared `application/json` (see ``CrossSiteGuard``).
    case unsupportedMediaType
    /// The client's address is out of login attempts (see ``FailedLoginLimiter``); answered with `Retry-After`.
    case tooManyFailedLogins(retryAfterSeconds: Int)
    /// The client's address holds as many streams as it may (``MetricsServerConfiguration/Limits/streamsPerAddress``).
    case tooManyStreams
    /// The credentials could not be checked now (the check pool is full or stopping); answered 503.
    case authenticationUnavailable
    /// Not the gate's: the connection was admitted into the reserve while every slot was busy, and the route is not
    /// public (see ``ConnectionAdmission``); answered 503 and closed.
    case overloaded

    /// The status code.
    var code: Int {
        switch self {
        case .badRequest: 400
        case .unauthorized: 401
        case .forbidden, .crossSite: 403
        case .notFound: 404
        case .methodNotAllowed: 405
        case .contentTooLarge: 413
        case .unsupportedMediaType: 415
        case .tooManyFailedLogins, .tooManyStreams: 429
        case .overloaded, .authenticationUnavailable: 503
        }
    }
}

/// The one place that decides whether a request reaches a handler: path (404), cross-site checks for
/// state-changing methods (403, 415: ``CrossSiteGuard``), credentials (401, 403, 429), method (405 with `Allow`),
/// body size (413) and parameter encoding (400), in that order.
///
/// Credentials come before the method so that a client without them learns nothing about a path's methods; the
/// level checked for a 405 is the lowest of the path's routes. Unknown paths are 404 without credentials: route
/// paths are documented, not secret, and health checks must never need credentials anyway.
///
/// The gate never runs bcrypt: when credentials need a check, it answers ``Decision/authenticate(_:then:)`` with
/// the job for the ``AuthenticationPool`` and what to decide once the check is done (``conclude(_:user:)``).
struct RequestGate: Sendable {
    /// What the head says about a body.
    enum Body: Equatable, Sendable {
        case none
        case length(Int)
        case chunked
    }

    /// What the gate decided on a request head.
    enum Decision {
        /// Decided.
        case verdict(Verdict)
        /// Credentials must be checked by bcrypt first; then ``RequestGate/conclude(_:user:)`` decides.
        case authenticate(Authenticator.Job, then: Continuation)
    }

    /// What remains to decide once a bcrypt check is done.
    struct Continuation: Sendable {
        enum Kind: Sendable {
            /// A route was found; the credentials must reach `level` (or, `optional`, they only name a user).
            case route(index: Int, group: Int, parameters: [String: String]?, body: Body)
            /// The path's routes do not answer the method: 405 once the credentials reach the group's level.
            case methodNotAllowed(group: Int)
        }

        let kind: Kind
        let level: AccessLevel
        /// On a route that is public for want of scrape users: wrong credentials leave the request anonymous.
        let optional: Bool

        /// The route's index when a route was found.
        var route: Int? {
            if case .route(let index, _, _, _) = self.kind { index } else { nil }
        }
    }

    /// What the head holds that the gate reads.
    struct Head {
        let method: HTTPRequest.Method
        /// The request path, percent-encoded, as text (for the literal routes) and as bytes (for the patterns).
        let path: String
        let bytes: UnsafeBufferPointer<UInt8>
        let authorization: UnsafeBufferPointer<UInt8>?
        /// Looks a header up by name (for the cross-site checks).
        let header: (HTTPField.Name) -> String?
        let body: Body
        let peer: PeerAddress
        /// Now, on the server clock (for the failure limit).
        let now: UInt64
    }

    let table: RouteTable
    let authenticator: Authenticator?

    /// Decides on a request head. Returns the decision and the index of the `path` label to count it under.
    func check(_ head: Head, otherLabel: Int) -> (decision: Decision, label: Int) {
        switch self.table.match(method: head.method, path: head.path, bytes: head.bytes) {
        case .notFound:
            return (.verdict(.reject(.notFound)), otherLabel)
        case .methodNotAllowed(let group):
            let continuation = Continuation(
                kind: .methodNotAllowed(group: group),
                level: self.table.groups[group].lowestAccess,
                optional: false
            )
            return (self.authorize(continuation, head), group)
        case .found(let index, let group, let rawParameters):
            let route = self.table.routes[index]
            if let refusal = CrossSiteGuard.check(method: head.method, host: head.header(.hostHeader), header: head.header) {
                return (.verdict(.reject(refusal == .crossSite ? .crossSite : .unsupportedMediaType)), group)
            }
            var parameters: [String: String]? = [:]
            for (name, raw) in rawParameters {
                guard let value = percentDecoded(raw) else {
                    parameters = nil
                    break
                }
                parameters?[name] = value
            }
            let optional = route.access == .scrape && !(self.authenticator?.hasScrapeUsers ?? true)
            let continuation = Continuation(
                kind: .route(index: index, group: group, parameters: parameters, body: head.body),
                level: route.access,
                optional: optional
            )
            return (self.authorize(continuation, head), group)
        }
    }

    /// Decides what the credentials allow, at once when no bcrypt check is needed.
    private func authorize(_ continuation: Continuation, _ head: Head) -> Decision {
        let level = continuation.level
        if level == .public { return .verdict(self.conclude(continuation, user: nil)) }
        guard let authenticator = self.authenticator else {
            // No users at all: scrape routes are public, admin routes closed.
            return .verdict(level == .scrape ? self.conclude(continuation, user: nil) : .reject(.unauthorized))
        }
        if continuation.optional {
            // Public for want of scrape users, but an admin's credentials still name the admin (so the status page
            // shows them its buttons); wrong ones leave the request anonymous.
            guard let authorization = head.authorization, authenticator.hasAdminUsers else {
                return .verdict(self.conclude(continuation, user: nil))
            }
            switch authenticator.screen(header: authorization, level: .admin, peer: head.peer, now: head.now) {
            case .user(let user): return .verdict(self.conclude(continuation, user: user))
            case .refused: return .verdict(self.conclude(continuation, user: nil))
            case .verify(let job): return .authenticate(job, then: continuation)
            }
        }
        guard let authorization = head.authorization else { return .verdict(.reject(.unauthorized)) }
        switch authenticator.screen(header: authorization, level: level, peer: head.peer, now: head.now) {
        case .user(let user):
            return .verdict(self.conclude(continuation, user: user))
        case .refused(.unauthorized):
            return .verdict(.reject(.unauthorized))
        case .refused(.tooManyFailedLogins(let seconds)):
            return .verdict(.reject(.tooManyFailedLogins(retryAfterSeconds: seconds)))
        case .verify(let job):
            // Refused at once whatever the credentials: no check is spent on a body the route would not take.
            if case .route(let index, _, _, let body) = continuation.kind,
                !Self.fits(body, limit: self.table.routes[index].bodyLimit)
            {
                return .verdict(.reject(.contentTooLarge))
            }
            return .authenticate(job, then: continuation)
        }
    }

    /// The verdict once the credentials are known: `user` is the authenticated user, or `nil` when there were none
    /// (a public route) or they were wrong.
    func conclude(_ continuation: Continuation, user: AuthenticatedUser?) -> Verdict {
        let level = continuation.level
        if level != .public, !continuation.optional, !(level == .scrape && self.authenticator == nil) {
            guard let user else { return .reject(.unauthorized) }
            guard user.level >= level else { return .reject(.forbidden) }
        }
        switch continuation.kind {
        case .methodNotAllowed(let group):
            return .reject(.methodNotAllowed(group: group))
        case .route(let index, let group, let parameters, let body):
            guard Self.fits(body, limit: self.table.routes[index].bodyLimit) else { return .reject(.contentTooLarge) }
            guard let parameters else { return .reject(.badRequest) }
            return .admit(Admission(route: index, group: group, parameters: parameters, user: user))
        }
    }

    /// Whether a declared body fits a route's limit.
    private static func fits(_ body: Body, limit: Int) -> Bool {
        switch body {
        case .none: true
        case .length(let length): length <= limit
        case .chunked: limit > 0
        }
    }
}
