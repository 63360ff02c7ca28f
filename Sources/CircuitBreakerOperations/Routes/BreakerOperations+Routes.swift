import CircuitBreaker
import MetricsExporter

extension BreakerOperations {
    /// The operations routes for `registry`, to add to the exporter's route table:
    ///
    /// ```swift
    /// let server = MetricsServer(configuration: configuration, logger: logger,
    ///                            exposition: ExpositionSources(text: prometheusMonitor.emit(into:)),
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
    public func routes(for registry: BreakerRegistry, readAccess: AccessLevel = .scrape) -> [Route] {
        let handlers = handlers(for: registry)
        return OperationsRoute.routes(handlers).map { route in
            Route(
                methods: Set(route.methods.map(HTTPMethod.init)),
                path: route.path,
                access: route.access == .admin ? .admin : readAccess,
                bodyLimit: route.bodyLimit
            ) { request in
                if route.path == "/api/v1/events" { return self.events(request) }
                let user = request.user
                // The page at `/` shows the admin buttons to an admin who sent credentials anyway.
                if route.path == "/", user?.level == .admin {
                    return Self.response(handlers.statusPage(OperationsRequest(), admin: true))
                }
                return Self.response(route.handle(Self.request(request)))
            }
        }
    }

    /// `GET /api/v1/events` on the exporter: a pushing stream fed by an ``EventStreamBridge``.
    private func events(_ request: HTTPRequest) -> HTTPResponse {
        let lastEventID = request.header("Last-Event-ID") ?? request.queryParameters["lastEventId"]
        // Bytes a client may leave unread: the event bound of the queue, at up to 1 KiB an event.
        let capacity = max(configuration.clientQueueCapacity, 1) * 1_024
        guard
            let stream = EventStreamBridge.open(
                hub: hub,
                lastEventID: lastEventID,
                capacity: capacity,
                clock: clock,
                heartbeat: heartbeat
            )
        else {
            return Self.response(
                .error(OperationsError(.tooManyClients, "the event stream has \(hub.limits.maximumClients) clients"))
            )
        }
        var response = HTTPResponse.eventStream(stream)
        // Proxies such as nginx would otherwise hold events back to fill a buffer.
        response.headers.replace(name: "X-Accel-Buffering", value: "no")
        return response
    }

    private static func request(_ request: HTTPRequest) -> OperationsRequest {
        var headers: [String: String] = [:]
        for field in request.headers { headers[field.name.lowercased()] = field.value }
        return OperationsRequest(
            method: request.method.name,
            pathParameters: request.pathParameters,
            query: request.queryParameters,
            headers: headers,
            body: request.body,
            user: request.user?.name
        )
    }

    private static func response(_ response: OperationsResponse) -> HTTPResponse {
        var headers = HTTPHeaders()
        for header in response.headers { headers.add(name: header.name, value: header.value) }
        return HTTPResponse(status: HTTPStatus(response.status), headers: headers, body: response.bytes)
    }
}
