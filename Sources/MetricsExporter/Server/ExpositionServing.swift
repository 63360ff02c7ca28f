import CMicroHTTPD

/// The exposition route: content negotiation, then the shared, never-stale render (see ``SharedRender``).
extension ServerContext {
    /// Serves the exposition from a render that started after the request arrived: the latest one if it is recent
    /// enough, otherwise the connection is suspended until the render thread has one.
    func serveExposition(_ connection: OpaquePointer, _ state: RequestState) -> MHD_Result {
        if let pending = state.pending {
            let json = self.wantsJSON(connection, path: state.path)
            // Resumed: the render thread, the reaper or shutdown has decided.
            switch self.shared.outcome(of: pending) {
            case .body(let body):
                return self.respond(connection, state, body, slot: pending.slot)
            case .timedOut:
                self.logger.warning("metrics scrape timed out waiting for a render")
                return self.queue(connection, state, self.fixed.response(.serviceUnavailable, json: json), code: 503)
            case .unavailable, nil:
                return self.queue(connection, state, self.fixed.response(.serviceUnavailable, json: json), code: 503)
            case .failed:
                self.logger.error("metrics response could not be rendered (out of memory or zlib failure)")
                return self.queue(connection, state, self.fixed.response(.internalError, json: json), code: 500)
            }
        }
        let format = cStringBytes(MHD_lookup_connection_value(connection, .HEADER_KIND, "Accept")) { accept in
            ExpositionFormat.negotiate(accept: accept, offered: self.offeredFormats)
        }
        let gzip =
            self.gzipLevel != nil
            && cStringBytes(MHD_lookup_connection_value(connection, .HEADER_KIND, "Accept-Encoding")) { header in
                header.map(acceptsGzip) ?? false
            }
        let slot = SharedRender.slot(format: format, gzip: gzip)
        if let body = self.shared.fresh(slot: slot, ticket: state.renderTicket) {
            return self.respond(connection, state, body, slot: slot)
        }
        if !state.deferredOnce {
            // Wait for a render, but not yet: suspended now, libmicrohttpd 0.9.75 would still hold this connection
            // in its reading state (the state of the last pass over it, from before the request was complete) and,
            // on resuming, read first: a client that half-closed after its request (HTTP/1.1 allows it) would be
            // read at its end, and the connection closed without an answer. Answering nothing this once moves the
            // connection out of the reading state, and libmicrohttpd calls again at once (daemon.c keeps a
            // connection that waits for the application ready, and polls with a zero timeout while one is).
            state.deferredOnce = true
            return .YES
        }
        let pending = PendingScrape(
            connection: connection,
            ticket: state.renderTicket,
            // Half the request timeout to wait, the other half to send.
            deadline: state.arrival &+ self.requestTimeout / 2,
            slot: slot
        )
        state.pending = pending
        MHD_suspend_connection(connection)
        if !self.shared.enqueue(pending) {
            MHD_resume_connection(connection)
        }
        return .YES
    }

    /// Queues a `200` response that sends a shared body.
    private func respond(
        _ connection: OpaquePointer,
        _ state: RequestState,
        _ body: RenderedBody,
        slot: Int
    ) -> MHD_Result {
        let retained = Unmanaged.passRetained(body).toOpaque()
        guard
            let response = MHD_create_response_from_buffer_with_free_callback_cls(
                body.count,
                // libmicrohttpd takes `void *` but only reads from it.
                body.bytes.map { UnsafeMutableRawPointer(mutating: $0) },
                mhdReleaseRenderedBody,
                retained
            )
        else {
            Unmanaged<RenderedBody>.fromOpaque(retained).release()
            return self.queue(connection, state, self.fixed.response(.internalError, json: false), code: 500)
        }
        defer { MHD_destroy_response(response) }
        let (format, _) = SharedRender.format(ofSlot: slot)
        MHD_add_response_header(response, "Content-Type", format.contentType)
        MHD_add_response_header(response, "Vary", "Accept, Accept-Encoding")
        if body.isGzip {
            MHD_add_response_header(response, "Content-Encoding", "gzip")
        }
        return self.queue(connection, state, response, code: 200)
    }

    /// Renders render number `number` for the wanted slots: each wanted format once (its source, then the
    /// self-metrics), then its plain body (sent without a copy) and its gzip compression. Takes a permit of the
    /// ``RenderBudget`` first (which may wait for an earlier render's bodies to be sent); no bodies once the budget
    /// is closed. Records the render time. Runs on the render thread.
    func render(wanted: [Bool], number: UInt64) -> [RenderedBody?] {
        var bodies = [RenderedBody?](repeating: nil, count: wanted.count)
        guard let permit = self.budget.acquire() else { return bodies }
        self.renderInterposer?(number)
        let started = self.clock.nanoseconds()
        for kind in ExpositionFormat.Kind.allCases {
            let format = ExpositionFormat(kind: kind)
            let plainSlot = SharedRender.slot(format: format, gzip: false)
            let gzipSlot = SharedRender.slot(format: format, gzip: true)
            let wantPlain = plainSlot < wanted.count && wanted[plainSlot]
            let wantGzip = gzipSlot < wanted.count && wanted[gzipSlot]
            guard wantPlain || wantGzip else { continue }
            let buffer = self.pool.take()
            self.write(format, into: &buffer.text)
            if wantGzip, let level = self.gzipLevel {
                bodies[gzipSlot] = self.compressor.compress(&buffer.text, level: level).map {
                    RenderedBody(gzip: $0.bytes, count: $0.count, renderNumber: number, permit: permit)
                }
            }
            if wantPlain {
                bodies[plainSlot] = RenderedBody(keepingText: buffer, renderNumber: number, permit: permit)
            } else {
                self.pool.giveBack(buffer)
            }
        }
        if bodies.contains(where: { $0 != nil }) {
            self.selfMetrics.recordScrape(seconds: Double(self.clock.nanoseconds() &- started) / 1e9)
        }
        return bodies
    }

    /// Writes one format: the source's output, then the server's own metrics (and `# EOF` for OpenMetrics).
    private func write(_ format: ExpositionFormat, into text: inout [UInt8]) {
        let connections = self.connections.count
        self.sources.write(format, into: &text) { format, buffer in
            switch format.kind {
            case .text: self.selfMetrics.render(into: &buffer, openConnections: connections, openMetrics: false)
            case .openMetrics: self.selfMetrics.render(into: &buffer, openConnections: connections, openMetrics: true)
            case .protobuf: self.selfMetrics.snapshot(openConnections: connections).appendProtobuf(to: &buffer)
            }
        }
    }
}
