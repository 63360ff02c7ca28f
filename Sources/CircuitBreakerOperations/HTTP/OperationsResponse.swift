/// What an operations handler answers: a status, headers, and either bytes or a stream of server-sent events.
package struct OperationsResponse: Sendable {
    /// The body of a response.
    package enum Body: Sendable {
        /// A complete body.
        case bytes([UInt8])
        /// A `text/event-stream` body that lasts as long as the subscription (see ``EventSubscription``).
        case events(EventSubscription)
    }

    /// The HTTP status code.
    package var status: Int
    /// The headers, in order.
    package var headers: [(name: String, value: String)]
    /// The body.
    package var body: Body

    /// Creates a response.
    package init(status: Int, headers: [(name: String, value: String)], body: Body) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The body bytes of a complete response (empty for a stream).
    package var bytes: [UInt8] {
        if case .bytes(let bytes) = body { return bytes }
        return []
    }

    /// The value of the header `name` (any case), if present.
    package func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    /// A JSON document; never cached, since it describes the breakers now.
    package static func json(_ bytes: [UInt8], status: Int = 200) -> OperationsResponse {
        OperationsResponse(
            status: status,
            headers: [("Content-Type", "application/json"), ("Cache-Control", "no-store")],
            body: .bytes(bytes)
        )
    }

    /// An HTML page, never cached, with its Content-Security-Policy and the headers every page carries:
    /// `X-Content-Type-Options: nosniff`, `Referrer-Policy: no-referrer` and `X-Frame-Options: DENY` (the policy's
    /// `frame-ancestors` for older browsers).
    package static func html(_ bytes: [UInt8], contentSecurityPolicy: String) -> OperationsResponse {
        OperationsResponse(
            status: 200,
            headers: [
                ("Content-Type", "text/html; charset=utf-8"), ("Cache-Control", "no-store"),
                ("Content-Security-Policy", contentSecurityPolicy), ("X-Content-Type-Options", "nosniff"),
                ("Referrer-Policy", "no-referrer"), ("X-Frame-Options", "DENY"),
            ],
            body: .bytes(bytes)
        )
    }

    /// `{"error": {"code": "…", "message": "…"}}` with the status of the error's code.
    package static func error(_ error: OperationsError) -> OperationsResponse {
        var json = JSONWriter(capacity: 256)
        json.beginObject()
        json.key("error")
        json.beginObject()
        json.key("code")
        json.string(error.code.description)
        json.key("message")
        json.string(error.message)
        json.endObject()
        json.endObject()
        return .json(json.bytes, status: error.code.httpStatus)
    }

    /// A stream of server-sent events.
    package static func events(_ subscription: EventSubscription) -> OperationsResponse {
        OperationsResponse(
            status: 200,
            headers: [
                ("Content-Type", "text/event-stream"),
                ("Cache-Control", "no-store"),
                // Proxies such as nginx would otherwise hold events back to fill a buffer.
                ("X-Accel-Buffering", "no"),
            ],
            body: .events(subscription)
        )
    }
}
