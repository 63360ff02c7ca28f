import HTTPTypes
import PortableRoutes

/// One entry of the server's route table: a ``/PortableRoutes/PortableRoute`` a service added, or one of the server's
/// standard routes (the exposition is answered by the shared render rather than a handler).
struct Route: Sendable {
    /// What answers the route.
    enum Action: Sendable {
        case handler(PortableRoute.Handler)
        /// The exposition, negotiated and shared between concurrent scrapes (the metrics route).
        case exposition
    }

    let methods: Set<HTTPRequest.Method>
    let path: String
    let access: AccessLevel
    let bodyLimit: Int
    let action: Action

    init(methods: Set<HTTPRequest.Method>, path: String, access: AccessLevel, bodyLimit: Int, action: Action) {
        self.methods = methods
        self.path = path
        self.access = access
        self.bodyLimit = bodyLimit
        self.action = action
    }

    /// A service's route.
    init(_ route: PortableRoute) {
        self.init(
            methods: route.methods,
            path: route.path,
            access: route.access,
            bodyLimit: route.bodyLimit,
            action: .handler(route.handler)
        )
    }

    /// A standard `GET` route answered by a handler.
    static func get(_ path: String, access: AccessLevel, handler: @escaping PortableRoute.Handler) -> Route {
        Route(methods: [.get], path: path, access: access, bodyLimit: 0, action: .handler(handler))
    }

    /// The methods the route answers, `HEAD` included for `GET` routes.
    var effectiveMethods: Set<HTTPRequest.Method> {
        self.methods.contains(.get) ? self.methods.union([.head]) : self.methods
    }
}
