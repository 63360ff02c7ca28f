/// What the gate decided about a request.
enum Verdict {
    /// The request may go to its route.
    case admit(Admission)
    /// The request is refused with a fixed answer.
    case reject(Rejection)
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
    /// No route has the path.
    case notFound
    /// The path's routes do not answer the method; answered with the group's `Allow`.
    case methodNotAllowed(group: Int)
    /// The body is larger than the route takes (or the route takes none).
    case contentTooLarge
    /// Not the gate's: the connection was admitted into the reserve while every slot was busy, and the route is not
    /// public (see ``ConnectionAdmission``); answered 503 and closed.
    case overloaded

    /// The status code.
    var code: Int {
        switch self {
        case .badRequest: 400
        case .unauthorized: 401
        case .forbidden: 403
        case .notFound: 404
        case .methodNotAllowed: 405
        case .contentTooLarge: 413
        case .overloaded: 503
        }
    }
}

/// The one place that decides whether a request reaches a handler: path (404), credentials (401, 403), method
/// (405 with `Allow`), body size (413) and parameter encoding (400), in that order.
///
/// Credentials come before the method so that a client without them learns nothing about a path's methods; the
/// level checked for a 405 is the lowest of the path's routes. Unknown paths are 404 without credentials: route
/// paths are documented, not secret, and health checks must never need credentials anyway.
struct RequestGate: Sendable {
    /// What the head says about a body.
    enum Body: Equatable {
        case none
        case length(Int)
        case chunked
    }

    let table: RouteTable
    let authenticator: Authenticator?

    /// Decides on a request head. Returns the verdict and the index of the `path` label to count it under.
    func check(
        method: HTTPMethod,
        path text: String,
        bytes path: UnsafeBufferPointer<UInt8>,
        authorization: UnsafeBufferPointer<UInt8>?,
        body: Body,
        otherLabel: Int
    ) -> (verdict: Verdict, label: Int) {
        switch self.table.match(method: method, path: text, bytes: path) {
        case .notFound:
            return (.reject(.notFound), otherLabel)
        case .methodNotAllowed(let group):
            if case .failure(let rejection) = self.authorize(self.table.groups[group].lowestAccess, authorization) {
                return (.reject(rejection), group)
            }
            return (.reject(.methodNotAllowed(group: group)), group)
        case .found(let index, let group, let rawParameters):
            let route = self.table.routes[index]
            let user: AuthenticatedUser?
            switch self.authorize(route.access, authorization) {
            case .failure(let rejection): return (.reject(rejection), group)
            case .success(let authenticated): user = authenticated
            }
            switch body {
            case .none: break
            case .length(let length) where length <= route.bodyLimit: break
            case .chunked where route.bodyLimit > 0: break
            default: return (.reject(.contentTooLarge), group)
            }
            var parameters: [String: String] = [:]
            for (name, raw) in rawParameters {
                guard let value = percentDecoded(raw) else { return (.reject(.badRequest), group) }
                parameters[name] = value
            }
            return (.admit(Admission(route: index, group: group, parameters: parameters, user: user)), group)
        }
    }

    /// Whether the credentials reach `level`: the user (nil when none was needed), or the refusal.
    private func authorize(
        _ level: AccessLevel,
        _ authorization: UnsafeBufferPointer<UInt8>?
    ) -> Result<AuthenticatedUser?, Rejection> {
        if level == .public { return .success(nil) }
        guard let authenticator = self.authenticator else {
            // No users at all: scrape routes are public, admin routes closed.
            return level == .scrape ? .success(nil) : .failure(.unauthorized)
        }
        if level == .scrape, !authenticator.hasScrapeUsers { return .success(nil) }
        guard let authorization, let user = authenticator.authenticate(header: authorization) else {
            return .failure(.unauthorized)
        }
        return user.level >= level ? .success(user) : .failure(.forbidden)
    }
}
