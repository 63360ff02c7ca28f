import FoundationEssentials

/// What a route's handler answers: a status, header fields, and a body of bytes or a ``ResponseStream``.
///
/// ```swift
/// return .text("hello\n")
/// return try .json(status)                          // any Encodable
/// return .jsonError(.badRequest, "ttl is required")  // {"error":{"code":"bad_request","message":"ttl is required"}}
/// return .eventStream(stream)                       // Server-Sent Events
/// ```
/// The server adds `Content-Length` (or chunked encoding for a stream) and `Date`. A header value holding a line
/// break is refused (the client gets 500 and the server logs why), so no handler can split a response.
public struct HTTPResponse: Sendable {
    /// The status code.
    public var status: HTTPStatus
    /// The header fields.
    public var headers: HTTPHeaders
    /// The body; ignored when ``stream`` is set.
    public var body: [UInt8]
    /// A body produced over time, or `nil`.
    public var stream: ResponseStream?

    /// A response with a body of bytes.
    public init(status: HTTPStatus = .ok, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
        self.stream = nil
    }

    /// A response whose body the server pulls from `stream` as the client takes it (chunked encoding).
    public init(status: HTTPStatus = .ok, headers: HTTPHeaders = HTTPHeaders(), stream: ResponseStream) {
        self.status = status
        self.headers = headers
        self.body = []
        self.stream = stream
    }

    /// `text/plain; charset=utf-8`.
    public static func text(_ text: String, status: HTTPStatus = .ok) -> HTTPResponse {
        HTTPResponse(status: status, headers: ["Content-Type": "text/plain; charset=utf-8"], body: Array(text.utf8))
    }

    /// `text/html; charset=utf-8`, with `X-Content-Type-Options: nosniff`.
    public static func html(_ html: String, status: HTTPStatus = .ok) -> HTTPResponse {
        HTTPResponse(
            status: status,
            headers: ["Content-Type": "text/html; charset=utf-8", "X-Content-Type-Options": "nosniff"],
            body: Array(html.utf8)
        )
    }

    /// `application/json` bytes the caller encoded.
    public static func json(bytes: [UInt8], status: HTTPStatus = .ok) -> HTTPResponse {
        HTTPResponse(status: status, headers: ["Content-Type": "application/json"], body: bytes)
    }

    /// A value encoded with Foundation's `JSONEncoder` (sorted keys), as `application/json`.
    public static func json(
        _ value: some Encodable,
        status: HTTPStatus = .ok,
        encoder: JSONEncoder = HTTPResponse.jsonEncoder
    ) throws -> HTTPResponse {
        .json(bytes: Array(try encoder.encode(value)), status: status)
    }

    /// A JSON error body in the server's one error shape, `{"error":{"code":"<code>","message":"<message>"}}`,
    /// with the given status. `code` defaults to the status in snake case (`bad_request`, `not_found`, …;
    /// `error` for a status without a name here).
    public static func jsonError(_ status: HTTPStatus, _ message: String, code: String? = nil) -> HTTPResponse {
        .json(bytes: Self.jsonErrorBody(code: code ?? status.errorCode, message: message), status: status)
    }

    /// The bytes of `{"error":{"code":…,"message":…}}`.
    static func jsonErrorBody(code: String, message: String) -> [UInt8] {
        struct Body: Encodable {
            struct Error: Encodable {
                let code: String
                let message: String
            }
            let error: Error
        }
        let bytes = (try? HTTPResponse.jsonEncoder.encode(Body(error: .init(code: code, message: message))))
        return bytes.map { Array($0) } ?? Array(#"{"error":{"code":"error","message":"unprintable error"}}"#.utf8)
    }

    /// A Server-Sent Events response: `text/event-stream`, not cached, body pulled from `stream`.
    public static func eventStream(_ stream: ResponseStream) -> HTTPResponse {
        HTTPResponse(
            status: .ok,
            headers: ["Content-Type": "text/event-stream", "Cache-Control": "no-store"],
            stream: stream
        )
    }

    /// The encoder of ``json(_:status:encoder:)`` unless given: sorted keys, so equal values give equal bytes.
    public static var jsonEncoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }
}
