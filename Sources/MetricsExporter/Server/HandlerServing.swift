import CMicroHTTPD

/// Routes with handlers: the request value, the handler, and its response handed to libmicrohttpd.
extension ServerContext {
    /// The size of the blocks libmicrohttpd pulls from a stream.
    static let streamBlockSize = 16 * 1024

    func serveHandler(
        _ connection: OpaquePointer,
        _ state: RequestState,
        _ admission: Admission,
        _ handler: Route.Handler
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
        let request = HTTPRequest(
            method: state.method,
            path: state.path,
            pathParameters: admission.parameters,
            queryParameters: queryParameters,
            headers: collectConnectionValues(connection, kind: .HEADER_KIND),
            body: state.body,
            user: admission.user
        )
        let response: HTTPResponse
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
    private func send(_ response: HTTPResponse, _ connection: OpaquePointer, _ state: RequestState) -> MHD_Result {
        var secured = response.headers
        SecurityHeaders.apply(to: &secured)
        let headers = secured.map { ($0.name, $0.value) }
        guard response.status.isValid else {
            self.logger.error("route handler answered with an invalid status", metadata: ["code": "\(response.status)"])
            return self.internalError(connection, state)
        }
        if let stream = response.stream {
            if let limit = self.configuration.limits.streamsPerAddress, self.streamCount(of: state.peer) >= limit {
                // The handler made a stream for nothing: end it, so its producer lets go.
                stream.refuse()
                return self.reject(connection, state, .tooManyStreams)
            }
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
            return self.queue(connection, state, created, code: response.status.code)
        }
        guard let created = FixedResponses.create(response.body, headers) else {
            self.logger.error("route handler answered with an invalid header (or memory ran out)")
            return self.internalError(connection, state)
        }
        defer { MHD_destroy_response(created) }
        return self.queue(connection, state, created, code: response.status.code)
    }
}
