import HTTPTypes

/// The answers of a transport's gate when it refuses a request before any handler runs, spelled once so that every
/// transport refuses alike: the status, the `code` of the JSON error body, the message of both bodies (JSON for
/// paths under `/api/` and for clients that accept JSON, plain text otherwise), and the header fields that go with
/// the refusal (`WWW-Authenticate`, `Allow`, `Retry-After`).
package struct GateRefusal: Sendable {
    package let status: HTTPResponse.Status
    package let code: String
    package let message: String
    package let fields: HTTPFields

    package static let badRequest = GateRefusal(status: .badRequest, code: "bad_request", message: "Bad Request")
    package static let forbidden = GateRefusal(status: .forbidden, code: "forbidden", message: "Forbidden")
    package static let crossSite = GateRefusal(
        status: .forbidden,
        code: "cross_site_request",
        message: "Forbidden: a state-changing request from another site"
    )
    package static let notFound = GateRefusal(status: .notFound, code: "not_found", message: "Not Found")
    package static let contentTooLarge = GateRefusal(
        status: .contentTooLarge,
        code: "content_too_large",
        message: "Content Too Large",
        fields: [.connection: "close"]
    )
    package static let unsupportedMediaType = GateRefusal(
        status: .unsupportedMediaType,
        code: "unsupported_media_type",
        message: "Unsupported Media Type: state-changing requests take application/json"
    )
    package static let tooManyStreams = GateRefusal(
        status: .tooManyRequests,
        code: "too_many_streams",
        message: "Too Many Requests: this address holds its share of streams",
        fields: [.retryAfter: "5"]
    )
    package static let authenticationUnavailable = GateRefusal(
        status: .serviceUnavailable,
        code: "authentication_unavailable",
        message: "Service Unavailable: credentials cannot be checked now",
        fields: [.retryAfter: "1"]
    )
    package static let internalError = GateRefusal(
        status: .internalServerError,
        code: "internal_error",
        message: "Internal Server Error"
    )
    package static let serviceUnavailable = GateRefusal(
        status: .serviceUnavailable,
        code: "service_unavailable",
        message: "Service Unavailable",
        fields: [.retryAfter: "1"]
    )

    /// 401 with the basic-auth challenge of `realm`.
    package static func unauthorized(realm: String) -> GateRefusal {
        GateRefusal(
            status: .unauthorized,
            code: "unauthorized",
            message: "Unauthorized",
            fields: [.wwwAuthenticate: "Basic realm=\"\(realm)\", charset=\"UTF-8\""]
        )
    }

    /// 405 with the methods the path answers.
    package static func methodNotAllowed(allow: String) -> GateRefusal {
        GateRefusal(
            status: .methodNotAllowed,
            code: "method_not_allowed",
            message: "Method Not Allowed",
            fields: [.allow: allow]
        )
    }

    /// 429 for an address out of login attempts, retry after `seconds`.
    package static func tooManyFailedLogins(retryAfter seconds: Int) -> GateRefusal {
        GateRefusal(
            status: .tooManyRequests,
            code: "too_many_failed_logins",
            message: "Too Many Requests: too many failed logins from this address",
            fields: [.retryAfter: String(seconds)]
        )
    }

    package init(status: HTTPResponse.Status, code: String, message: String, fields: HTTPFields = [:]) {
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields
    }

    /// The body: the JSON error shape, or the message as a line of text.
    package func body(json: Bool) -> [UInt8] {
        json ? JSONErrorBody.bytes(code: self.code, message: self.message) : Array((self.message + "\n").utf8)
    }

    /// The header fields: the content type, `nosniff`, `no-store`, then the refusal's own.
    package func headerFields(json: Bool) -> HTTPFields {
        var fields: HTTPFields = [
            .contentType: json ? "application/json" : "text/plain; charset=utf-8",
            .xContentTypeOptions: "nosniff",
            .cacheControl: "no-store",
        ]
        fields.append(contentsOf: self.fields)
        return fields
    }

    /// The whole answer.
    package func response(json: Bool) -> RouteResponse {
        RouteResponse(status: self.status, headerFields: self.headerFields(json: json), bytes: self.body(json: json))
    }

    /// Whether a refusal is answered in JSON: always for a path under `/api/` (one error shape for the whole API,
    /// whatever the client accepts), otherwise when the client's `Accept` names `application/json`.
    package static func wantsJSON(path: String, accept: String?) -> Bool {
        path.hasPrefix("/api/") || (accept?.contains("application/json") ?? false)
    }

    /// `GET, HEAD, POST, PUT, PATCH, DELETE`, then any others alphabetically: the `Allow` of a 405.
    package static func allowHeader(_ methods: Set<HTTPRequest.Method>) -> String {
        let order: [HTTPRequest.Method] = [.get, .head, .post, .put, .patch, .delete]
        let known = order.filter(methods.contains)
        let others = methods.subtracting(order).map(\.rawValue).sorted()
        return (known.map(\.rawValue) + others).joined(separator: ", ")
    }
}
