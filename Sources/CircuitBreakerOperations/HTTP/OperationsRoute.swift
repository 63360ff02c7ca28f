/// One route of the operations API: methods, a path with `{name}` parameters, who may call it, the largest body
/// it takes, and its handler. ``routes(_:)`` is the table the exporter serves.
package struct OperationsRoute: Sendable {
    /// Who may call a route.
    package enum Access: Sendable, Hashable {
        /// Whoever may read the metrics (public, or the scrape users when the web config has some).
        case read
        /// Admin users only (the web config's `admin_users`): 401 without credentials, 403 for other users.
        case admin
    }

    /// The methods the route answers (`HEAD` is implied by `GET` where the server supports it).
    package let methods: [String]
    /// The path, with `{name}` for the breaker's name.
    package let path: String
    /// Who may call it.
    package let access: Access
    /// The largest request body accepted, in bytes (0: none).
    package let bodyLimit: Int
    /// What it does.
    package let handle: @Sendable (OperationsRequest) -> OperationsResponse

    /// The largest override request body: three short fields and a reason of at most 500 characters.
    package static let overrideBodyLimit = 4_096

    /// The largest body of a `DELETE` of an override, which takes none or an empty JSON object (it must say
    /// `Content-Type: application/json` either way, like every state-changing request).
    package static let clearBodyLimit = 64

    /// The routes, in the order of the README's route list.
    package static func routes(_ handlers: OperationsHandlers) -> [OperationsRoute] {
        [
            OperationsRoute(methods: ["GET"], path: "/", access: .read, bodyLimit: 0) {
                handlers.statusPage($0, admin: false)
            },
            OperationsRoute(methods: ["GET"], path: "/admin", access: .admin, bodyLimit: 0) {
                handlers.statusPage($0, admin: true)
            },
            OperationsRoute(methods: ["GET"], path: "/api/v1/breakers", access: .read, bodyLimit: 0) {
                handlers.listBreakers($0)
            },
            OperationsRoute(methods: ["GET"], path: "/api/v1/breakers/{name}", access: .read, bodyLimit: 0) {
                handlers.showBreaker($0)
            },
            OperationsRoute(methods: ["GET"], path: "/api/v1/events", access: .read, bodyLimit: 0) {
                handlers.events($0)
            },
            OperationsRoute(
                methods: ["POST"],
                path: "/api/v1/breakers/{name}/override",
                access: .admin,
                bodyLimit: overrideBodyLimit
            ) { handlers.applyOverride($0) },
            OperationsRoute(
                methods: ["DELETE"],
                path: "/api/v1/breakers/{name}/override",
                access: .admin,
                bodyLimit: clearBodyLimit
            ) { handlers.clearOverride($0) },
        ]
    }
}
