#if HummingbirdSupport
import HTTPTypes
import Hummingbird
import MetricsEndpoint
import PortableRoutes

/// Portable routes — the operations API, events and status page of `CircuitBreakerOperations`, or any other — and
/// the metrics exposition, as a Hummingbird `RouteCollection` for a service's own router: no second port.
///
/// ```swift
/// let routes = try HummingbirdRoutes(
///     routes: operations.routes(for: registry),
///     exposition: ExpositionSources(text: monitor.emit(into:), openMetrics: monitor.emitOpenMetrics(into:)),
///     webConfiguration: WebConfiguration(contentsOfFile: "web.yml"))
/// let router = Router()
/// router.get("/hello") { _, _ in "hello\n" }
/// router.addRoutes(routes.collection(context: BasicRequestContext.self))
/// try await Application(router: router).runService()
/// ```
///
/// Each route keeps what `MetricsServer` gives it, whatever router it is mounted on:
/// - **Access levels** from the same exporter-toolkit web configuration (``/PortableRoutes/AccessLevel``: public,
///   scrape users, admin users), with the same bcrypt checks, caches, per-address failure limits and check pool: see
///   ``accessMiddleware(_:context:)``, which protects a service's own routes the same way.
/// - **The cross-site guard** of state-changing methods (403 `cross_site_request` from another origin or site,
///   415 for anything but `application/json`), before credentials, so a forged request costs no bcrypt.
/// - **Body limits** (413 past the route's ``/PortableRoutes/PortableRoute/bodyLimit``), percent-decoded path and query
///   parameters (400 for malformed encoding), the one JSON error shape under `/api/`, and the security headers of every
///   answer (`nosniff`, `no-referrer`, and for HTML a CSP that allows nothing unless the page sets its own, with
///   `X-Frame-Options: DENY`).
/// - **The metrics path** (scrape users): text 0.0.4, OpenMetrics 1.0.0 or protobuf as the scraper's `Accept` asks,
///   among the formats ``/MetricsEndpoint/ExpositionSources`` offers, with `Vary: Accept`. Hummingbird serves it: no
///   gzip (add Hummingbird's compression middleware if you want it), and each scrape renders on its own request task
///   (`MetricsServer`'s shared single-flight render and its own metrics are the libmicrohttpd server's).
/// - **Streams** (server-sent events) are written chunk by chunk as the client takes them; when the client goes,
///   Hummingbird ends the response and the chunks let go of their reader. Heartbeats come from the stream itself.
///
/// Hummingbird answers paths and methods no route has (404, 405) in its own way; the routes' paths are mounted as
/// given, so mount the collection at the root (`addRoutes(_:)`) for the status page's relative links to work.
public final class HummingbirdRoutes: Sendable {
    /// The routes, checked.
    let routes: [(route: PortableRoute, pattern: PathPattern)]
    /// The exposition's sources.
    public let exposition: ExpositionSources
    /// The path of the exposition.
    public let metricsPath: String
    let gate: AccessGate

    /// Checks the routes and reads the users of `webConfiguration`; nothing listens or runs until the collection is
    /// mounted.
    ///
    /// - Parameters:
    ///   - routes: the portable routes to mount, for example `operations.routes(for: registry)`.
    ///   - exposition: what the metrics path serves.
    ///   - metricsPath: where; a literal path that no route has. `nil` mounts no metrics path.
    ///   - webConfiguration: the scrape and admin users (`basic_auth_users`, `admin_users`); `nil` or no users: scrape
    ///     routes are public and admin routes refuse everyone, as in `MetricsServer`. Its TLS settings are refused
    ///     (``/MetricsEndpoint/MetricsServerError/Code/invalidConfiguration``): TLS is the Hummingbird application's,
    ///     not the routes'.
    /// - Throws: ``/MetricsEndpoint/MetricsServerError`` with ``/MetricsEndpoint/MetricsServerError/Code/invalidRoute``
    ///   for a malformed route or two routes claiming one path and method,
    ///   ``/MetricsEndpoint/MetricsServerError/Code/invalidConfiguration`` for bad users or a TLS section.
    public init(
        routes: [PortableRoute],
        exposition: ExpositionSources,
        metricsPath: String? = "/metrics",
        webConfiguration: WebConfiguration? = nil
    ) throws(MetricsServerError) {
        if webConfiguration?.tls != nil {
            throw MetricsServerError(
                .invalidConfiguration,
                "tls_server_config: the Hummingbird application terminates TLS (HummingbirdTLS), not its routes"
            )
        }
        try webConfiguration?.basicAuth?.validate()
        var checked: [(route: PortableRoute, pattern: PathPattern)] = []
        var claimed: Set<String> = []
        var all = routes
        if let metricsPath {
            all.append(PortableRoute.get(metricsPath, access: .scrape) { _ in RouteResponse(status: .notFound) })
        }
        for route in all {
            let pattern: PathPattern
            do {
                pattern = try route.validated()
            } catch {
                throw MetricsServerError(.invalidRoute, error.description)
            }
            let shape = pattern.shape.map { segment -> String in
                if case .literal(let bytes) = segment { return String(decoding: bytes, as: UTF8.self) }
                return "{}"
            }.joined(separator: "/")
            for method in route.effectiveMethods.sorted(by: { $0.rawValue < $1.rawValue }) {
                guard claimed.insert("\(method.rawValue) /\(shape)").inserted else {
                    throw MetricsServerError(.invalidRoute, "two routes answer \(method.rawValue) \(route.path)")
                }
            }
            checked.append((route, pattern))
        }
        if let metricsPath, checked.last?.pattern.parameterNames.isEmpty == false {
            throw MetricsServerError(.invalidRoute, "metricsPath '\(metricsPath)' must be a literal path")
        }
        self.routes = metricsPath == nil ? checked : Array(checked.dropLast())
        self.exposition = exposition
        self.metricsPath = metricsPath ?? ""
        self.gate = AccessGate(basicAuth: webConfiguration?.basicAuth)
    }

    /// The routes and the metrics path as a collection for `router.addRoutes(_:)`, for requests of `Context`
    /// (conform it to `RemoteAddressRequestContext` for per-address limits on failed logins).
    public func collection<Context: RequestContext>(context: Context.Type = BasicRequestContext.self)
        -> RouteCollection<Context>
    {
        let collection = RouteCollection(context: Context.self)
        for (route, pattern) in self.routes {
            let responder = PortableRouteResponder<Context>(route: route, pattern: pattern, gate: self.gate)
            for method in route.effectiveMethods.sorted(by: { $0.rawValue < $1.rawValue }) {
                _ = collection.on(RouterPath(route.path), method: method, responder: responder)
            }
        }
        if !self.metricsPath.isEmpty {
            let responder = ExpositionResponder<Context>(sources: self.exposition, gate: self.gate)
            _ = collection.on(RouterPath(self.metricsPath), method: .get, responder: responder)
            _ = collection.on(RouterPath(self.metricsPath), method: .head, responder: responder)
        }
        return collection
    }

    /// A middleware that lets through only requests whose credentials reach `level`, by the same web configuration
    /// and rules as the collection's routes, for the service's own routes. The handler finds the user in
    /// ``currentUser``.
    public func accessMiddleware<Context: RequestContext>(
        _ level: AccessLevel,
        context: Context.Type = BasicRequestContext.self
    ) -> AccessMiddleware<Context> {
        AccessMiddleware(level: level, gate: self.gate)
    }

    /// The user the access check of the running request authenticated, inside a route protected by
    /// ``accessMiddleware(_:context:)``; `nil` elsewhere, and for anonymous requests.
    public static var currentUser: AuthenticatedUser? { AccessMiddlewareUser.current }
}

/// The task-local user an ``AccessMiddleware`` authenticated.
enum AccessMiddlewareUser {
    @TaskLocal static var current: AuthenticatedUser?
}

/// Lets through only requests whose credentials reach a level (see ``HummingbirdRoutes/accessMiddleware(_:context:)``),
/// after the cross-site guard for state-changing methods; others get the refusal `MetricsServer` would answer.
public struct AccessMiddleware<Context: RequestContext>: RouterMiddleware {
    let level: AccessLevel
    let gate: AccessGate

    /// Checks the request, then calls `next` with the user in ``HummingbirdRoutes/currentUser``.
    public func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let json = GateRefusal.wantsJSON(path: request.uri.path, accept: request.headers[.accept])
        if let refusal = crossSiteRefusal(request.head) { return Response(refusal.response(json: json)) }
        switch await self.gate.check(request.head, level: self.level, peer: AccessGate.peer(of: context)) {
        case .refused(let refusal):
            return Response(refusal.response(json: json))
        case .allowed(let user):
            return try await AccessMiddlewareUser.$current.withValue(user) { try await next(request, context) }
        }
    }
}

/// The cross-site guard's refusal of a state-changing request, if any.
func crossSiteRefusal(_ head: HTTPRequest) -> GateRefusal? {
    switch CrossSiteGuard.check(method: head.method, fields: head.headerFields, host: head.authority) {
    case .crossSite: .crossSite
    case .unsupportedMediaType: .unsupportedMediaType
    case nil: nil
    }
}
#endif
