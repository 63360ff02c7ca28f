import HTTPTypes

/// One route that any transport can serve: the methods and the path it answers, who may use it, how large a body it
/// takes, and the handler that turns a request value into a response value.
///
/// ```swift
/// let breaker = PortableRoute.get("/api/v1/breakers/{name}", access: .scrape) { request in
///     guard let name = request.pathParameters["name"], let status = registry.status(of: name) else {
///         return .jsonError(.notFound, "no such breaker")
///     }
///     return .json(bytes: status)
/// }
/// ```
///
/// A route is data: a transport (`MetricsServer`'s libmicrohttpd table, or a Hummingbird router through
/// `CircuitBreakerHummingbird`) puts it in its own table and runs one gate in front of every handler — the path,
/// the cross-site guard for state-changing methods, the credentials for ``access``, the method and the body limit —
/// so a handler only ever sees a request it may answer, and no handler can forget a check.
///
/// The handler is synchronous and must answer quickly (the exporter runs it on one of its few worker threads); an
/// answer that comes over time is a ``ResponseChunks`` body. A handler that throws is answered 500 with the JSON
/// error shape, and the error is logged by the transport.
public struct PortableRoute: Sendable {
    /// Answers one request.
    public typealias Handler = @Sendable (RouteRequest) throws -> RouteResponse

    /// The methods the route answers; a `GET` route also answers `HEAD`.
    public let methods: Set<HTTPRequest.Method>
    /// The path pattern: literal segments and whole-segment `{name}` parameters, for example
    /// `/api/v1/breakers/{name}` (see ``RouteRequest/pathParameters``).
    public let path: String
    /// Who may use the route.
    public let access: AccessLevel
    /// The largest request body accepted, in bytes; 0 accepts none. A larger body is refused with 413 before the
    /// handler runs.
    public let bodyLimit: Int
    /// What answers.
    public let handler: Handler

    /// A route with any methods. A transport checks the path and the methods when it mounts the route: a malformed
    /// path, an empty method set or a body limit outside `0...`\(``maximumBodyLimit``) is refused there.
    public init(
        methods: Set<HTTPRequest.Method>,
        path: String,
        access: AccessLevel,
        bodyLimit: Int = 0,
        handler: @escaping Handler
    ) {
        self.methods = methods
        self.path = path
        self.access = access
        self.bodyLimit = bodyLimit
        self.handler = handler
    }

    /// A `GET` (and `HEAD`) route; no body accepted.
    public static func get(_ path: String, access: AccessLevel, handler: @escaping Handler) -> PortableRoute {
        PortableRoute(methods: [.get], path: path, access: access, handler: handler)
    }

    /// A `POST` route taking a body of at most `bodyLimit` bytes (64 KiB by default).
    public static func post(
        _ path: String,
        access: AccessLevel,
        bodyLimit: Int = PortableRoute.defaultBodyLimit,
        handler: @escaping Handler
    ) -> PortableRoute {
        PortableRoute(methods: [.post], path: path, access: access, bodyLimit: bodyLimit, handler: handler)
    }

    /// A `DELETE` route taking a body of at most `bodyLimit` bytes (none by default).
    public static func delete(
        _ path: String,
        access: AccessLevel,
        bodyLimit: Int = 0,
        handler: @escaping Handler
    ) -> PortableRoute {
        PortableRoute(methods: [.delete], path: path, access: access, bodyLimit: bodyLimit, handler: handler)
    }

    /// The body limit of ``post(_:access:bodyLimit:handler:)`` unless given: 64 KiB.
    public static let defaultBodyLimit = 64 * 1024

    /// The largest body limit a route may have: 16 MiB (bodies are held in memory).
    public static let maximumBodyLimit = 16 << 20

    /// The methods the route answers, `HEAD` included for `GET` routes.
    package var effectiveMethods: Set<HTTPRequest.Method> {
        self.methods.contains(.get) ? self.methods.union([.head]) : self.methods
    }

    /// The checks every transport makes before mounting the route: the parsed path, or why it is refused.
    package func validated() throws(PathPattern.Invalid) -> PathPattern {
        try Self.validated(methods: self.methods, path: self.path, bodyLimit: self.bodyLimit)
    }

    /// The checks of ``validated()`` for a route's parts.
    package static func validated(
        methods: Set<HTTPRequest.Method>,
        path: String,
        bodyLimit: Int
    ) throws(PathPattern.Invalid) -> PathPattern {
        let pattern = try PathPattern(path)
        guard !methods.isEmpty else { throw PathPattern.Invalid(description: "route '\(path)' has no methods") }
        guard (0...Self.maximumBodyLimit).contains(bodyLimit) else {
            throw PathPattern.Invalid(
                description: "route '\(path)': bodyLimit must be 0...\(Self.maximumBodyLimit), not \(bodyLimit)"
            )
        }
        return pattern
    }
}
