import CircuitBreaker
import PortableRoutes

extension BreakerOperations {
    /// The operations routes for `registry`, transport-neutral: mount them on the exporter's `MetricsServer`
    /// (`routes:`), or on a Hummingbird router with `CircuitBreakerHummingbird`.
    ///
    /// ```swift
    /// let server = MetricsServer(configuration: configuration, logger: logger,
    ///                            exposition: monitor.expositionSources,
    ///                            routes: operations.routes(for: registry))
    /// ```
    /// | method | path | access |
    /// |---|---|---|
    /// | `GET` | `/` (the live status page; replaces the exporter's landing page) | `readAccess` |
    /// | `GET` | `/admin` (the status page with override buttons) | admin users |
    /// | `GET` | `/api/v1/breakers` | `readAccess` |
    /// | `GET` | `/api/v1/breakers/{name}` | `readAccess` |
    /// | `GET` | `/api/v1/events` (server-sent events) | `readAccess` |
    /// | `POST` | `/api/v1/breakers/{name}/override` | admin users |
    /// | `DELETE` | `/api/v1/breakers/{name}/override` | admin users |
    ///
    /// - Parameters:
    ///   - registry: the breakers the routes show and act on.
    ///   - readAccess: who may read: `.scrape` (the default: like `/metrics`, public when the web config lists no
    ///     scrape users) or `.public`. Overrides always need an admin user (`admin_users` in the web config): 401
    ///     without credentials, 403 for a scrape user.
    public func routes(for registry: BreakerRegistry, readAccess: AccessLevel = .scrape) -> [PortableRoute] {
        let handlers = handlers(for: registry)
        return [
            // The page at `/` shows the admin buttons to an admin who sent credentials anyway.
            .get("/", access: readAccess) { handlers.statusPage(admin: $0.user?.level == .admin) },
            .get("/admin", access: .admin) { _ in handlers.statusPage(admin: true) },
            .get("/api/v1/breakers", access: readAccess) { handlers.listBreakers($0) },
            .get("/api/v1/breakers/{name}", access: readAccess) { handlers.showBreaker($0) },
            .get("/api/v1/events", access: readAccess) { handlers.events($0) },
            .post(
                "/api/v1/breakers/{name}/override",
                access: .admin,
                bodyLimit: OperationsHandlers.overrideBodyLimit
            ) { handlers.applyOverride($0) },
            .delete(
                "/api/v1/breakers/{name}/override",
                access: .admin,
                bodyLimit: OperationsHandlers.clearBodyLimit
            ) { handlers.clearOverride($0) },
        ]
    }

    /// The handlers of the routes for `registry`.
    func handlers(for registry: BreakerRegistry) -> OperationsHandlers {
        OperationsHandlers(
            registry: registry,
            renderer: StatusRenderer(registry: registry, calls: callCounter, hub: hub, monitor: monitor),
            controller: OverrideController(keeper: keeper, maximumTTL: configuration.maximumTTL, logger: logger),
            hub: hub,
            configuration: configuration,
            clock: clock
        )
    }
}
