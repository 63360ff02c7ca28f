import HTTPTypes

/// A request as a route's handler sees it: the head, the whole body, the route's path parameters and the user the
/// transport authenticated. A plain value, copied out of the transport, safe to keep.
public struct RouteRequest: Sendable {
    /// The request head: method, path (still percent-encoded; whether the query string is kept there depends on the
    /// transport, so read ``queryParameters``) and header fields.
    public var head: HTTPRequest
    /// The body: at most the route's ``PortableRoute/bodyLimit`` bytes (a longer one is refused with 413 before the
    /// handler runs); empty for routes that take none.
    public var body: [UInt8]
    /// The route's `{name}` segments, percent-decoded (so `%2F` in a name stays inside it).
    public var pathParameters: [String: String]
    /// The query parameters, percent-decoded (`+` reads as a space); for a repeated name, the last value. A query
    /// that is not valid percent-encoded UTF-8 is refused with 400 before the handler runs.
    public var queryParameters: [String: String]
    /// The authenticated user, or `nil` on a public route (and on scrape routes when no users are configured).
    public var user: AuthenticatedUser?

    /// A request; transports build these, tests of handlers may too.
    public init(
        head: HTTPRequest,
        body: [UInt8] = [],
        pathParameters: [String: String] = [:],
        queryParameters: [String: String] = [:],
        user: AuthenticatedUser? = nil
    ) {
        self.head = head
        self.body = body
        self.pathParameters = pathParameters
        self.queryParameters = queryParameters
        self.user = user
    }

    /// A request for `path` with `method` and header fields, as a test of a handler writes it.
    public init(
        method: HTTPRequest.Method = .get,
        path: String,
        headerFields: HTTPFields = [:],
        body: [UInt8] = [],
        pathParameters: [String: String] = [:],
        queryParameters: [String: String] = [:],
        user: AuthenticatedUser? = nil
    ) {
        self.init(
            head: HTTPRequest(method: method, scheme: nil, authority: nil, path: path, headerFields: headerFields),
            body: body,
            pathParameters: pathParameters,
            queryParameters: queryParameters,
            user: user
        )
    }

    /// The method.
    public var method: HTTPRequest.Method { self.head.method }

    /// The header fields.
    public var headerFields: HTTPFields { self.head.headerFields }
}

extension RouteRequest {
    /// The decoded parameters of a query string (the part of a request target after `?`): `nil` when a name or a
    /// value is not valid percent-encoded UTF-8. For transports that get the raw query.
    package static func queryParameters(of query: Substring) -> [String: String]? {
        var parameters: [String: String] = [:]
        for pair in query.utf8.split(separator: UInt8(ascii: "&")) {
            let parts = pair.split(separator: UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = percentDecoded(parts[0], plusAsSpace: true),
                let value = parts.count > 1 ? percentDecoded(parts[1], plusAsSpace: true) : ""
            else { return nil }
            parameters[name] = value
        }
        return parameters
    }
}
