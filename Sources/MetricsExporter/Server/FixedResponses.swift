import CMicroHTTPD

/// The gate's answers and the server's own errors, prepared once as libmicrohttpd responses (plain text and JSON,
/// chosen by the client's `Accept`), and shared by every connection.
///
/// `@unchecked Sendable`: the responses are created in `init` and never modified; libmicrohttpd's response objects
/// are reference counted under their own mutex, so queueing one on several threads at once is supported. They are
/// destroyed in `deinit`, which runs after `MHD_stop_daemon` (the daemon's context holds this object until then).
final class FixedResponses: @unchecked Sendable {
    enum Kind: Int, CaseIterable {
        case badRequest, unauthorized, forbidden, notFound, contentTooLarge, internalError, serviceUnavailable
        /// 503 that closes the connection: for a connection in the reserve (see ``ConnectionAdmission``).
        case overloaded
    }

    /// [kind][0 text, 1 JSON].
    private let responses: [[OpaquePointer]]
    /// [group][0 text, 1 JSON]: 405 with the group's `Allow`.
    private let methodNotAllowed: [[OpaquePointer]]

    init(realm: String, allowHeaders: [String]) throws(MetricsServerError) {
        func make(_ message: String, _ headers: [(String, String)]) throws(MetricsServerError) -> [OpaquePointer] {
            var pair: [OpaquePointer] = []
            for json in [false, true] {
                let body = json ? Array(HTTPResponse.jsonError(.ok, message).body) : Array((message + "\n").utf8)
                let type = json ? "application/json" : "text/plain; charset=utf-8"
                guard let response = Self.create(body, [("Content-Type", type)] + headers) else {
                    pair.forEach { MHD_destroy_response($0) }
                    throw MetricsServerError(.startFailed, "cannot create the fixed responses (out of memory)")
                }
                pair.append(response)
            }
            return pair
        }
        var responses: [[OpaquePointer]] = []
        let challenge = "Basic realm=\"\(realm)\", charset=\"UTF-8\""
        for kind in Kind.allCases {
            switch kind {
            case .badRequest: responses.append(try make("Bad Request", []))
            case .unauthorized: responses.append(try make("Unauthorized", [("WWW-Authenticate", challenge)]))
            case .forbidden: responses.append(try make("Forbidden", []))
            case .notFound: responses.append(try make("Not Found", []))
            case .contentTooLarge: responses.append(try make("Content Too Large", [("Connection", "close")]))
            case .internalError: responses.append(try make("Internal Server Error", []))
            case .serviceUnavailable: responses.append(try make("Service Unavailable", [("Retry-After", "1")]))
            case .overloaded:
                responses.append(try make("Service Unavailable", [("Retry-After", "1"), ("Connection", "close")]))
            }
        }
        self.responses = responses
        var methodNotAllowed: [[OpaquePointer]] = []
        for allow in allowHeaders {
            methodNotAllowed.append(try make("Method Not Allowed", [("Allow", allow)]))
        }
        self.methodNotAllowed = methodNotAllowed
    }

    deinit {
        for pair in self.responses + self.methodNotAllowed {
            for response in pair { MHD_destroy_response(response) }
        }
    }

    func response(_ kind: Kind, json: Bool) -> OpaquePointer {
        self.responses[kind.rawValue][json ? 1 : 0]
    }

    /// The response of a gate refusal, and its status code.
    func response(for rejection: Rejection, json: Bool) -> OpaquePointer {
        switch rejection {
        case .badRequest: self.response(.badRequest, json: json)
        case .unauthorized: self.response(.unauthorized, json: json)
        case .forbidden: self.response(.forbidden, json: json)
        case .notFound: self.response(.notFound, json: json)
        case .contentTooLarge: self.response(.contentTooLarge, json: json)
        case .overloaded: self.response(.overloaded, json: json)
        case .methodNotAllowed(let group): self.methodNotAllowed[group][json ? 1 : 0]
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
