/// An HTTP response status code.
public struct HTTPStatus: Hashable, Sendable, CustomStringConvertible {
    /// The numeric code, 100 to 599.
    public let code: Int

    /// A status by its code. A code outside 100...599 is answered as 500 (and logged).
    public init(_ code: Int) {
        self.code = code
    }

    /// 200 OK.
    public static let ok = HTTPStatus(200)
    /// 201 Created.
    public static let created = HTTPStatus(201)
    /// 202 Accepted.
    public static let accepted = HTTPStatus(202)
    /// 204 No Content.
    public static let noContent = HTTPStatus(204)
    /// 400 Bad Request.
    public static let badRequest = HTTPStatus(400)
    /// 401 Unauthorized (sent by the server with a `WWW-Authenticate` challenge).
    public static let unauthorized = HTTPStatus(401)
    /// 403 Forbidden.
    public static let forbidden = HTTPStatus(403)
    /// 404 Not Found.
    public static let notFound = HTTPStatus(404)
    /// 405 Method Not Allowed (sent by the server with an `Allow` header).
    public static let methodNotAllowed = HTTPStatus(405)
    /// 409 Conflict.
    public static let conflict = HTTPStatus(409)
    /// 413 Content Too Large.
    public static let contentTooLarge = HTTPStatus(413)
    /// 415 Unsupported Media Type.
    public static let unsupportedMediaType = HTTPStatus(415)
    /// 429 Too Many Requests.
    public static let tooManyRequests = HTTPStatus(429)
    /// 422 Unprocessable Content.
    public static let unprocessableContent = HTTPStatus(422)
    /// 500 Internal Server Error.
    public static let internalServerError = HTTPStatus(500)
    /// 503 Service Unavailable.
    public static let serviceUnavailable = HTTPStatus(503)

    /// The code as text.
    public var description: String { String(self.code) }

    /// The status in snake case for a JSON error's `code` (`not_found`); `error` for codes without a name here.
    var errorCode: String {
        switch self.code {
        case 400: "bad_request"
        case 401: "unauthorized"
        case 403: "forbidden"
        case 404: "not_found"
        case 405: "method_not_allowed"
        case 409: "conflict"
        case 413: "content_too_large"
        case 415: "unsupported_media_type"
        case 422: "unprocessable_content"
        case 429: "too_many_requests"
        case 500: "internal_error"
        case 503: "service_unavailable"
        default: "error"
        }
    }

    /// Whether the code is one HTTP allows.
    var isValid: Bool { (100...599).contains(self.code) }
}
