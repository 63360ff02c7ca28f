import CMicroHTTPD
import HTTPTypes
import PortableRoutes

/// Routes with handlers: the request value, the handler, and its response handed to libmicrohttpd.
extension ServerContext {
    /// The size of the blocks libmicrohttpd pulls from a stream.
    static let streamBlockSize = 16 * 1024

    /// The most bytes of a chunked response that wait for its client (``ResponseStream/capacity``): the producer
    /// is asked for its next chunk only once the client has taken enough.
    static let streamCapacity = 64 * 1024

    /// Iterates `chunks` on a task of its own and hands each chunk to `stream`, waiting while the stream is full;
    /// finishes the stream when the chunks end. When the stream is over first (the client went, was cut for not
    /// reading, or the server stops), the task is cancelled, and the chunks end and let go of what they hold.
    static func pump(_ chunks: ResponseChunks, into stream: ResponseStream) {
        let task = Task.detached {
            for await chunk in chunks {
                guard await stream.write(chunk) else { return }
            }
            stream.finish()
        }
        stream.onTermination { _ in task.cancel() }
    }

    func serveHandler(
        _ connection: OpaquePointer,
        _ state: RequestState,
        _ admission: Admission,
        _ handler: PortableRoute.Handler
    ) -> MHD_Result {
        let query = collectConnectionValues(connection, kind: .GET_ARGUMENT_KIND)
        var queryParameters: [String: String] = [:]
        for field in query {
            // libmicrohttpd has turned `+` into spaces; the server's unescape callback kept `%xx` for this decoding.
            guard let name = percentDecoded(field.name.utf8), let value = percentDecoded(field.value.utf8) else {
                return self.queue(
                    connection,
                    state,
                    self.fixed.response(for: .badRequest, json: self.wantsJSON(connection, path: state.path)),
                    code: 400
                )
            }
            queryParameters[name] = value
        }
        var fields = HTTPFields()
        var host: String?
        for field in collectConnectionValues(connection, kind: .HEADER_KIND) {
            // As swift-http-types has it: the `Host` header is the request's authority.
            if host == nil, field.name.lowercased() == "host" {
                host = field.value
                continue
            }
            // libmicrohttpd has refused a malformed header line already; a name swift-http-types does not take
            // as a token is left out rather than failing the request.
            guard let name = HTTPField.Name(field.name) else { continue }
            fields.append(HTTPField(name: name, value: field.value))
        }
        let request = RouteRequest(
            head: HTTPRequest(
                method: state.method,
                scheme: self.configuration.tls == nil ? "http" : "https",
                authority: host,
                path: state.path,
                headerFields: fields
            ),
            body: state.body,
            pathParameters: admission.parameters,
            queryParameters: queryParameters,
            user: admission.user
        )
        let response: RouteResponse
        do {
            response = try handler(request)
        } catch {
            self.logger.error(
                "route handler failed",
                metadata: ["path": "\(self.table.routes[admission.route].path)", "error": "\(error)"]
            )
            response = .jsonError(.internalServerError, "internal server error")
        }
        return self.send(response, connection, state)
    }

    /// The server's own error for a handler's answer it cannot send, in the request's error format.
    private func internalError(_ connection: OpaquePointer, _ state: RequestState) -> MHD_Result {
        let json = self.wantsJSON(connection, path: state.path)
        return self.queue(connection, state, self.fixed.response(.internalError, json: json), code: 500)
    }

    /// Hands a handler's response to libmicrohttpd.
    private func send(_ response: RouteResponse, _ connection: OpaquePointer, _ state: RequestState) -> MHD_Result {
        var secured = response.headerFields
        SecurityHeaders.apply(to: &secured)
        let headers = secured.map { ($0.name.rawName, $0.value) }
        guard (100...599).contains(response.status.code) else {
            self.logger.error("route handler answered with an invalid status", metadata: ["code": "\(response.status)"])
            return self.internalError(connection, state)
        }
        if let chunks = response.body.chunks {
            if let limit = self.configuration.limits.streamsPerAddress, self.streamCount(of: state.peer) >= limit {
                // The handler's chunks are never iterated: a sequence lets go of what it holds when dropped.
                return self.reject(connection, state, .tooManyStreams)
            }
            let stream = ResponseStream(capacity: Self.streamCapacity)
            let binding = StreamConnection(
                stream: stream,
                connection: connection,
                key: Self.key(connection),
                peer: state.peer,
                context: self
            )
            let retained = Unmanaged.passRetained(binding).toOpaque()
            guard
                let created = MHD_create_response_from_callback(
                    UInt64.max,  // MHD_SIZE_UNKNOWN: chunked encoding
                    Self.streamBlockSize,
                    mhdStreamReader,
                    retained,
                    mhdStreamRelease
                )
            else {
                Unmanaged<StreamConnection>.fromOpaque(retained).release()
                return self.internalError(connection, state)
            }
            defer { MHD_destroy_response(created) }
            for (name, value) in headers where MHD_add_response_header(created, name, value) != .YES {
                self.logger.error("route handler answered with an invalid header", metadata: ["name": "\(name)"])
                return self.internalError(connection, state)
            }
            state.stream = binding
            self.register(binding)
            Self.pump(chunks, into: stream)
            return self.queue(connection, state, created, code: response.status.code)
        }
        guard let created = FixedResponses.create(response.body.bytes ?? [], headers) else {
            self.logger.error("route handler answered with an invalid header (or memory ran out)")
            return self.internalError(connection, state)
        }
        defer { MHD_destroy_response(created) }
        return self.queue(connection, state, created, code: response.status.code)
    }
}
