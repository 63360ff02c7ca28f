/// An HTTP request as the operations handlers see it, filled in from the exporter's request value.
///
/// The handlers take this plain value rather than the exporter's type, so that they are tested without a server,
/// and so that the glue to the route table stays in one file (``BreakerOperations`` `routes`).
package struct OperationsRequest: Sendable {
    /// `GET`, `POST`, `DELETE`, …
    package var method: String
    /// The values of the path's `{name}` parameters, percent-decoded.
    package var pathParameters: [String: String]
    /// The query parameters, percent-decoded; the last value wins for a repeated key.
    package var query: [String: String]
    /// The request headers, by lower-case name.
    package var headers: [String: String]
    /// The request body (empty for a GET).
    package var body: [UInt8]
    /// The authenticated user, if the request carried valid credentials.
    package var user: String?

    /// Creates a request.
    package init(
        method: String = "GET",
        pathParameters: [String: String] = [:],
        query: [String: String] = [:],
        headers: [String: String] = [:],
        body: [UInt8] = [],
        user: String? = nil
    ) {
        self.method = method
        self.pathParameters = pathParameters
        self.query = query
        self.headers = headers
        self.body = body
        self.user = user
    }

    /// The header `name` (any case).
    package func header(_ name: String) -> String? {
        headers[name.lowercased()]
    }
}
