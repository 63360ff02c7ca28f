import CMicroHTTPD
import MetricsEndpoint
import PortableRoutes

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

        /// The refusal's status, code, message and header fields (spelled once, in ``GateRefusal``).
        func refusal(realm: String) -> GateRefusal {
            switch self {
            case .badRequest: .badRequest
            case .unauthorized: .unauthorized(realm: realm)
            case .forbidden: .forbidden
            case .crossSite: .crossSite
            case .notFound: .notFound
            case .contentTooLarge: .contentTooLarge
            case .unsupportedMediaType: .unsupportedMediaType
            case .tooManyStreams: .tooManyStreams
            case .authenticationUnavailable: .authenticationUnavailable
            case .internalError: .internalError
            case .serviceUnavailable: .serviceUnavailable
            case .overloaded:
                GateRefusal(
                    status: .serviceUnavailable,
                    code: "service_unavailable",
                    message: "Service Unavailable",
                    fields: [.retryAfter: "1", .connection: "close"]
                )
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
        func make(_ refusal: GateRefusal) throws(MetricsServerError) -> [OpaquePointer] {
            var pair: [OpaquePointer] = []
            for json in [false, true] {
                let headers = refusal.headerFields(json: json).map { ($0.name.rawName, $0.value) }
                guard let response = Self.create(refusal.body(json: json), headers) else {
                    (created + pair).forEach { MHD_destroy_response($0) }
                    throw MetricsServerError(.startFailed, "cannot create the fixed responses (out of memory)")
                }
                pair.append(response)
            }
            created += pair
            return pair
        }
        var responses: [[OpaquePointer]] = []
        for kind in Kind.allCases {
            responses.append(try make(kind.refusal(realm: realm)))
        }
        self.responses = responses
        var methodNotAllowed: [[OpaquePointer]] = []
        for allow in allowHeaders {
            methodNotAllowed.append(try make(.methodNotAllowed(allow: allow)))
        }
        self.methodNotAllowed = methodNotAllowed
        var tooManyFailedLogins: [[OpaquePointer]] = []
        for seconds in 1...Self.maximumRetryAfter {
            tooManyFailedLogins.append(try make(.tooManyFailedLogins(retryAfter: seconds)))
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
