/// One entry of a server's route table: the methods and the path it answers, who may use it, how large a body it
/// takes, and the handler that answers.
///
/// ```swift
/// let breakers = Route.get("/api/v1/breakers/{name}", access: .scrape) { request in
///     guard let name = request.pathParameter("name"), let status = registry.status(of: name) else {
///         return .jsonError(.notFound, "no such breaker")
///     }
///     return try .json(status)
/// }
/// let server = MetricsServer(configuration: configuration, logger: logger, exposition: exposition,
///                            routes: [breakers])
/// ```
///
/// The handler runs on one of the server's worker threads once the whole request (and its body) has arrived, and
/// after the request gate has checked the method, the body size and the credentials. It must answer quickly and
/// must not block for long: while it runs, its thread serves no other connection. A handler that throws gets a 500
/// with a JSON error body, and the error is logged. For an answer that comes over time, return a
/// ``ResponseStream`` (``HTTPResponse/eventStream(_:)``).
///
/// A route whose path is the same as one of the server's standard routes (`/`, `/-/healthy`, `/healthz`, the metrics
/// path) replaces it: that is how a service puts its own page at `/`.
public struct Route: Sendable {
    /// Answers one request.
    public typealias Handler = @Sendable (HTTPRequest) throws -> HTTPResponse

    /// What answers the route.
    enum Action: Sendable {
        case handler(Handler)
        /// The exposition, negotiated and shared between concurrent scrapes (the metrics route).
        case exposition
    }

    /// The methods the route answers; a `GET` route also answers `HEAD`.
    public let methods: Set<HTTPMethod>
    /// The path pattern, for example `/api/v1/breakers/{name}` (see ``HTTPRequest/pathParameters``).
    public let path: String
    /// Who may use the route.
    public let access: AccessLevel
    /// The largest request body accepted, in bytes; 0 accepts none. A larger body is refused with 413 before the
    /// handler runs.
    public let bodyLimit: Int
    let action: Action

    /// A route with any methods.
    ///
    /// The path and the methods are checked when the server starts: a malformed path, or two routes claiming the
    /// same path and method, fail ``MetricsServer/start()`` with ``MetricsServerError/Code/invalidRoute``.
    public init(
        methods: Set<HTTPMethod>,
        path: String,
        access: AccessLevel,
        bodyLimit: Int = 0,
        handler: @escaping Handler
    ) {
        self.init(methods: methods, path: path, access: access, bodyLimit: bodyLimit, action: .handler(handler))
    }

    init(methods: Set<HTTPMethod>, path: String, access: AccessLevel, bodyLimit: Int, action: Action) {
        self.methods = methods
        self.path = path
        self.access = access
        self.bodyLimit = bodyLimit
        self.action = action
    }

    /// A `GET` (and `HEAD`) route; no body accepted.
    public static func get(_ path: String, access: AccessLevel, handler: @escaping Handler) -> Route {
        Route(methods: [.get], path: path, access: access, handler: handler)
    }

    /// A `POST` route taking a body of at most `bodyLimit` bytes (64 KiB by default).
    public static func post(
        _ path: String,
        access: AccessLevel,
        bodyLimit: Int = Route.defaultBodyLimit,
        handler: @escaping Handler
    ) -> Route {
        Route(methods: [.post], path: path, access: access, bodyLimit: bodyLimit, handler: handler)
    }

    /// A `DELETE` route; no body accepted.
    public static func delete(_ path: String, access: AccessLevel, handler: @escaping Handler) -> Route {
        Route(methods: [.delete], path: path, access: access, handler: handler)
    }

    /// The body limit of ``post(_:access:bodyLimit:handler:)`` unless given: 64 KiB.
    public static let defaultBodyLimit = 64 * 1024

    /// The largest body limit a route may have: 16 MiB (bodies are held in memory).
    public static let maximumBodyLimit = 16 << 20

    /// The methods the route answers, `HEAD` included for `GET` routes.
    var effectiveMethods: Set<HTTPMethod> {
        self.methods.contains(.get) ? self.methods.union([.head]) : self.methods
    }
}
