import CMicroHTTPD

/// The gate's answers and the server's own errors, prepared once as libmicrohttpd responses, and shared by every
/// connection: plain text, or JSON (`{"error": {"code": "not_found", "message": "Not Found"}}`) for every path under
/// `/api/` and for clients whose `Accept` names `application/json` (see ``ServerContext/wantsJSON(_:path:)``).
///
/// `@unchecked Sendable`: the responses are created in `init` and never modified; libmicrohttpd's response objects
/// are reference counted under their own mutex, so queueing one on several threads at once is supported. They are
/// destroyed in `deinit`, which runs after `MHD_stop_daemon` (the daemon's context holds this object until then).
final class FixedResponses: @unchecked Sendable {
    enum Kind: Int, CaseIterable {
        case badRequest, unauthorized, forbidden, crossSite, notFound, contentTooLarge, unsupportedMediaType
        case tooManyStreams, authenticationUnavailable, internalError, serviceUnavailable
        /// 503 that closes the connection: for a connection in the reserve (see ``ConnectionAdmission``).
        case overloaded

        /// The status code.
        var status: Int {
            switch self {
            case .badRequest: 400
            case .unauthorized: 401
            case .forbidden, .crossSite: 403
            case .notFound: 404
            case .contentTooLarge: 413
            case .unsupportedMediaType: 415
            case .tooManyStreams: 429
            case .internalError: 500
            case .authenticationUnavailable, .serviceUnavailable, .overloaded: 503
            }
        }

        /// The `code` of the JSON error body, and the message of both bodies.
        var text: (code: String, message: String) {
            switch self {
            case .badRequest: ("bad_request", "Bad Request")
            case .unauthorized: ("unauthorized", "Unauthorized")
            case .forbidden: ("forbidden", "Forbidden")
            case .crossSite: ("cross_site_request", "Forbidden: a state-changing request from another site")
            case .notFound: ("not_found", "Not Found")
            case .contentTooLarge: ("content_too_large", "Content Too Large")
            case .unsupportedMediaType:
                ("unsupported_media_type", "Unsupported Media Type: state-changing requests take application/json")
            case .tooManyStreams: ("too_many_streams", "Too Many Requests: this address holds its share of streams")
            case .authenticationUnavailable:
                ("authentication_unavailable", "Service Unavailable: credentials cannot be checked now")
            case .internalError: ("internal_error", "Internal Server Error")
            case .serviceUnavailable, .overloaded: ("service_unavailable", "Service Unavailable")
            }
        }
    }

    /// The longest `Retry-After` of a 429 for failed logins, in seconds.
    static let maximumRetryAfter = 60

    /// [kind][0 text, 1 JSON].
    private let responses: [[OpaquePointer]]
    /// [group][0 text, 1 JSON]: 405 with the group's `Allow`.
    private let methodNotAllowed: [[OpaquePointer]]
    /// [seconds - 1][0 text, 1 JSON]: 429 for failed logins with `Retry-After: seconds`.
    private let tooManyFailedLogins: [[OpaquePointer]]

    init(realm: String, allowHeaders: [String]) throws(MetricsServerError) {
        var created: [OpaquePointer] = []
        func make(
            _ code: String,
            _ message: String,
            _ headers: [(String, String)]
        ) throws(MetricsServerError) -> [OpaquePointer] {
            var pair: [OpaquePointer] = []
            for json in [false, true] {
                let body =
                    json ? HTTPResponse.jsonErrorBody(code: code, message: message) : Array((message + "\n").utf8)
                let type = json ? "application/json" : "text/plain; charset=utf-8"
                let securityHeaders = [("X-Content-Type-Options", "nosniff"), ("Cache-Control", "no-store")]
                guard let response = Self.create(body, [("Content-Type", type)] + securityHeaders + headers) else {
                    (created + pair).forEach { MHD_destroy_response($0) }
                    throw MetricsServerError(.startFailed, "cannot create the fixed responses (out of memory)")
                }
                pair.append(response)
            }
            created += pair
            return pair
        }
        var responses: [[OpaquePointer]] = []
        let challenge = "Basic realm=\"\(realm)\", charset=\"UTF-8\""
        for kind in Kind.allCases {
            let (code, message) = kind.text
            switch kind {
            case .unauthorized: responses.append(try make(code, message, [("WWW-Authenticate", challenge)]))
            case .contentTooLarge: responses.append(try make(code, message, [("Connection", "close")]))
            case .tooManyStreams: responses.append(try make(code, message, [("Retry-After", "5")]))
            case .serviceUnavailable, .authenticationUnavailable:
                responses.append(try make(code, message, [("Retry-After", "1")]))
            case .overloaded:
                responses.append(try make(code, message, [("Retry-After", "1"), ("Connection", "close")]))
            default: responses.append(try make(code, message, []))
            }
        }
        self.responses = responses
        var methodNotAllowed: [[OpaquePointer]] = []
        for allow in allowHeaders {
            methodNotAllowed.append(try make("method_not_allowed", "Method Not Allowed", [("Allow", allow)]))
        }
        self.methodNotAllowed = methodNotAllowed
        var tooManyFailedLogins: [[OpaquePointer]] = []
        for seconds in 1...Self.maximumRetryAfter {
            tooManyFailedLogins.append(
                try make(
                    "too_many_failed_logins",
                    "Too Many Requests: too many failed logins from this address",
                    [("Retry-After", String(seconds))]
                )
            )
        }
        self.tooManyFailedLogins = tooManyFailedLogins
    }

    deinit {
        for pair in self.responses + self.methodNotAllowed + self.tooManyFailedLogins {
            for response in pair { MHD_destroy_response(response) }
        }
    }

    func response(_ kind: Kind, json: Bool) -> OpaquePointer {
        self.responses[kind.rawValue][json ? 1 : 0]
    }

    /// The response of a gate refusal.
    func response(for rejection: Rejection, json: Bool) -> OpaquePointer {
        switch rejection {
        case .badRequest: self.response(.badRequest, json: json)
        case .unauthorized: self.response(.unauthorized, json: json)
        case .forbidden: self.response(.forbidden, json: json)
        case .crossSite: self.response(.crossSite, json: json)
        case .notFound: self.response(.notFound, json: json)
        case .contentTooLarge: self.response(.contentTooLarge, json: json)
        case .unsupportedMediaType: self.response(.unsupportedMediaType, json: json)
        case .tooManyStreams: self.response(.tooManyStreams, json: json)
        case .authenticationUnavailable: self.response(.authenticationUnavailable, json: json)
        case .overloaded: self.response(.overloaded, json: json)
        case .methodNotAllowed(let group): self.methodNotAllowed[group][json ? 1 : 0]
        case .tooManyFailedLogins(let seconds):
            self.tooManyFailedLogins[min(max(seconds, 1), Self.maximumRetryAfter) - 1][json ? 1 : 0]
        }
    }

    /// A response that copies `body`, with the headers; `nil` if memory is exhausted or libmicrohttpd refuses a
    /// header (a line break in a value, for example).
    static func create(_ body: [UInt8], _ headers: some Sequence<(String, String)>) -> OpaquePointer? {
        var bytes = body
        let response = bytes.withUnsafeMutableBytes { raw in
            MHD_create_response_from_buffer(raw.count, raw.baseAddress, .RESPMEM_MUST_COPY)
        }
        guard let response else { return nil }
        for (name, value) in headers where MHD_add_response_header(response, name, value) != .YES {
            MHD_destroy_response(response)
            return nil
        }
        return response
    }
}
