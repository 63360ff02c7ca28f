/// A request as a route's handler sees it: a plain value, copied out of the server, safe to keep.
public struct HTTPRequest: Sendable {
    /// The method.
    public let method: HTTPMethod
    /// The path as sent, without the query string, still percent-encoded.
    public let path: String
    /// The route's `{name}` segments, percent-decoded (so `%2F` in a name stays inside it).
    public let pathParameters: [String: String]
    /// The query parameters, percent-decoded (`+` reads as a space); for a repeated name, the last value.
    public let queryParameters: [String: String]
    /// The request's header fields.
    public let headers: HTTPHeaders
    /// The body: at most the route's ``Route/bodyLimit`` bytes (a longer one is refused with 413 before the handler
    /// runs); empty for routes that take none.
    public let body: [UInt8]
    /// The authenticated user, or `nil` on a public route (and on scrape routes when no users are configured).
    public let user: AuthenticatedUser?

    /// A request; the server builds these, tests of handlers may too.
    public init(
        method: HTTPMethod,
        path: String,
        pathParameters: [String: String] = [:],
        queryParameters: [String: String] = [:],
        headers: HTTPHeaders = HTTPHeaders(),
        body: [UInt8] = [],
        user: AuthenticatedUser? = nil
    ) {
        self.method = method
        self.path = path
        self.pathParameters = pathParameters
        self.queryParameters = queryParameters
        self.headers = headers
        self.body = body
        self.user = user
    }

    /// The value of the path parameter `name`, or `nil`.
    public func pathParameter(_ name: String) -> String? {
        self.pathParameters[name]
    }

    /// The value of the first header field with this name (case-insensitive), or `nil`.
    public func header(_ name: String) -> String? {
        self.headers[name]
    }
}
