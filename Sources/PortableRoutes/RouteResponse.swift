import FoundationEssentials
import HTTPTypes

/// What a route's handler answers: a response head (status and header fields) and a body of bytes or of chunks
/// produced over time.
///
/// ```swift
/// return .text("hello\n")
/// return try .json(status)                          // any Encodable
/// return .jsonError(.badRequest, "ttl is required")  // {"error":{"code":"bad_request","message":"ttl is required"}}
/// return .eventStream(chunks)                       // Server-Sent Events
/// ```
/// The transport adds `Content-Length` (or chunked encoding for chunks) and `Date`, and the security headers every
/// answer carries (`X-Content-Type-Options: nosniff`, `Referrer-Policy: no-referrer`, and for HTML without a policy
/// of its own a `Content-Security-Policy` that allows nothing and `X-Frame-Options: DENY`). swift-http-types
/// replaces a line break in a field value with a space, so no handler can split a response.
public struct RouteResponse: Sendable {
    /// The status and header fields.
    public var head: HTTPResponse
    /// The body.
    public var body: Body

    /// The body of a response: bytes, or chunks the transport sends as they come (chunked encoding).
    ///
    /// A struct rather than an enum, so that a kind of body can be added without breaking anyone's `switch`.
    public struct Body: Sendable {
        /// The complete body, or `nil` for chunks.
        public let bytes: [UInt8]?
        /// The chunks, or `nil` for a complete body.
        public let chunks: ResponseChunks?

        /// A complete body.
        public static func bytes(_ bytes: [UInt8]) -> Body {
            Body(bytes: bytes, chunks: nil)
        }

        /// A body of chunks, sent as they come until the sequence ends or the client goes.
        public static func chunks(_ chunks: ResponseChunks) -> Body {
            Body(bytes: nil, chunks: chunks)
        }

        /// No body.
        public static let empty = Body(bytes: [], chunks: nil)
    }

    /// A response.
    public init(head: HTTPResponse, body: Body = .empty) {
        self.head = head
        self.body = body
    }

    /// A response with a body of bytes.
    public init(status: HTTPResponse.Status = .ok, headerFields: HTTPFields = [:], bytes: [UInt8] = []) {
        self.init(head: HTTPResponse(status: status, headerFields: headerFields), body: .bytes(bytes))
    }

    /// The status.
    public var status: HTTPResponse.Status {
        get { self.head.status }
        set { self.head.status = newValue }
    }

    /// The header fields.
    public var headerFields: HTTPFields {
        get { self.head.headerFields }
        set { self.head.headerFields = newValue }
    }

    /// `text/plain; charset=utf-8`.
    public static func text(_ text: String, status: HTTPResponse.Status = .ok) -> RouteResponse {
        RouteResponse(status: status, headerFields: [.contentType: "text/plain; charset=utf-8"], bytes: Array(text.utf8))
    }

    /// `text/html; charset=utf-8` bytes, never cached. Without a `Content-Security-Policy` of its own the transport adds
    /// one that allows no script, no style and no frame.
    public static func html(_ html: [UInt8], status: HTTPResponse.Status = .ok) -> RouteResponse {
        RouteResponse(
            status: status,
            headerFields: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
            bytes: html
        )
    }

    /// HTML text, as ``html(_:status:)-(_,_)`` bytes.
    public static func html(_ html: String, status: HTTPResponse.Status = .ok) -> RouteResponse {
        .html(Array(html.utf8), status: status)
    }

    /// `application/json` bytes the caller encoded, never cached.
    public static func json(bytes: [UInt8], status: HTTPResponse.Status = .ok) -> RouteResponse {
        RouteResponse(
            status: status,
            headerFields: [.contentType: "application/json", .cacheControl: "no-store"],
            bytes: bytes
        )
    }

    /// A value encoded with `JSONEncoder` (sorted keys, so equal values give equal bytes), as `application/json`.
    public static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> RouteResponse {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return .json(bytes: Array(try encoder.encode(value)), status: status)
    }

    /// A JSON error body in the one error shape of every route, `{"error":{"code":"<code>","message":"<message>"}}`,
    /// with the given status. `code` defaults to the status in snake case (`bad_request`, `not_found`, …; `error`
    /// for a status without a name here).
    public static func jsonError(_ status: HTTPResponse.Status, _ message: String, code: String? = nil) -> RouteResponse {
        .json(bytes: JSONErrorBody.bytes(code: code ?? JSONErrorBody.code(of: status), message: message), status: status)
    }

    /// A Server-Sent Events response: `text/event-stream`, not cached, not buffered by proxies (nginx would
    /// otherwise hold events back to fill a buffer), the body sent chunk by chunk.
    public static func eventStream(_ chunks: ResponseChunks) -> RouteResponse {
        var fields: HTTPFields = [.contentType: "text/event-stream", .cacheControl: "no-store"]
        fields[HTTPField.Name.accelBuffering] = "no"
        return RouteResponse(head: HTTPResponse(status: .ok, headerFields: fields), body: .chunks(chunks))
    }
}

extension HTTPField.Name {
    /// `X-Accel-Buffering` (nginx): `no` turns off proxy buffering of a response.
    package static let accelBuffering = HTTPField.Name("X-Accel-Buffering")!
    /// `X-Frame-Options`.
    package static let frameOptions = HTTPField.Name("X-Frame-Options")!
    /// `Referrer-Policy`.
    package static let referrerPolicy = HTTPField.Name("Referrer-Policy")!
    /// `Sec-Fetch-Site`.
    package static let secFetchSite = HTTPField.Name("Sec-Fetch-Site")!
    /// `Host`, as an HTTP/1.1 request carries it (swift-http-types keeps it in ``HTTPRequest/authority``).
    package static let hostHeader = HTTPField.Name("Host")!
    /// `Last-Event-ID`.
    package static let lastEventID = HTTPField.Name("Last-Event-ID")!
}

/// The one JSON error shape of every route and every refusal of a transport's gate.
package enum JSONErrorBody {
    /// The bytes of `{"error":{"code":…,"message":…}}`.
    package static func bytes(code: String, message: String) -> [UInt8] {
        struct Body: Encodable {
            struct Error: Encodable {
                let code: String
                let message: String
            }
            let error: Error
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let bytes = try? encoder.encode(Body(error: .init(code: code, message: message)))
        return bytes.map { Array($0) } ?? Array(#"{"error":{"code":"error","message":"unprintable error"}}"#.utf8)
    }

    /// The status in snake case for a JSON error's `code` (`not_found`); `error` for codes without a name here.
    package static func code(of status: HTTPResponse.Status) -> String {
        switch status.code {
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
}
