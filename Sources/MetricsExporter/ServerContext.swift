import CircuitBreakerInternals
import CMicroHTTPD
import Logging
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Everything the libmicrohttpd callbacks need, shared by all worker threads of one running server.
///
/// `@unchecked Sendable`: every stored property is immutable after `init` and either `Sendable` itself or one of
/// the prepared libmicrohttpd responses (`OpaquePointer`). Those responses are never modified after `init`;
/// libmicrohttpd's response objects are reference counted under their own mutex, so queueing one on several
/// threads at once is supported; they are destroyed in `deinit`, which runs only after `MHD_stop_daemon` has
/// returned (the daemon holds a retained reference to this object until then).
final class ServerContext: @unchecked Sendable {
    let configuration: MetricsServerConfiguration
    let logger: Logger
    let clock: any ServerClock
    let source: ExpositionSource
    let status: StatusProvider?
    let authenticator: BasicAuthenticator?
    let deadlines = ConnectionDeadlines()
    let selfMetrics: SelfMetrics
    let pool: ResponseBufferPool
    /// Single-flight rendering shared by concurrent scrapes; its thread runs from `MetricsServer.launch` until
    /// `MetricsServer.tearDown`.
    let shared = SharedRender()
    let landingPage: LandingPage
    let inFlight = Atomic<Int>(0)
    /// The certificate, key and priority string as C strings for libmicrohttpd, kept for the daemon's lifetime.
    let tlsMaterial: TLSMaterial?
    /// The last messages libmicrohttpd logged, for the error of a failed start.
    let recentMessages = Locked<[String]>([])

    private let metricsPath: [CChar]
    private let requestTimeout: UInt64
    private let keepAliveAllowance: UInt64
    private let gzipLevel: Int32?
    private let notFound: OpaquePointer
    private let methodNotAllowed: OpaquePointer
    private let contentTooLarge: OpaquePointer
    private let unauthorized: OpaquePointer
    private let healthy: OpaquePointer
    private let internalError: OpaquePointer
    private let serviceUnavailable: OpaquePointer

    init(
        configuration: MetricsServerConfiguration,
        logger: Logger,
        clock: any ServerClock,
        source: @escaping ExpositionSource,
        status: StatusProvider?
    ) throws(MetricsServerError) {
        self.configuration = configuration
        self.logger = logger
        self.clock = clock
        self.source = source
        self.status = status
        self.authenticator = configuration.basicAuth.map(BasicAuthenticator.init(configuration:))
        self.selfMetrics = SelfMetrics(metricsPath: configuration.metricsPath)
        self.pool = ResponseBufferPool(capacity: configuration.workerThreads * 2 + 2)
        self.landingPage = LandingPage(
            serviceName: configuration.serviceName,
            serviceVersion: configuration.serviceVersion,
            metricsPath: configuration.metricsPath
        )
        self.metricsPath = Array(configuration.metricsPath.utf8CString)
        self.requestTimeout = configuration.limits.requestTimeout.clampedNanoseconds
        self.keepAliveAllowance = configuration.limits.connectionTimeout.clampedNanoseconds
        self.gzipLevel = configuration.gzipLevel.map { Int32($0) }
        self.tlsMaterial = configuration.tls.map(TLSMaterial.init)

        let plain = "text/plain; charset=utf-8"
        let realm = configuration.basicAuth?.realm ?? "metrics"
        guard
            let notFound = Self.fixedResponse("Not Found\n", [("Content-Type", plain)]),
            let methodNotAllowed = Self.fixedResponse(
                "Method Not Allowed\n",
                [("Content-Type", plain), ("Allow", "GET, HEAD")]
            ),
            let contentTooLarge = Self.fixedResponse(
                "Request bodies are not accepted\n",
                [("Content-Type", plain), ("Connection", "close")]
            ),
            let unauthorized = Self.fixedResponse(
                "Unauthorized\n",
                [("Content-Type", plain), ("WWW-Authenticate", "Basic realm=\"\(realm)\", charset=\"UTF-8\"")]
            ),
            let healthy = Self.fixedResponse("OK\n", [("Content-Type", plain), ("Cache-Control", "no-store")]),
            let internalError = Self.fixedResponse("Internal Server Error\n", [("Content-Type", plain)]),
            let serviceUnavailable = Self.fixedResponse(
                "Service Unavailable\n",
                [("Content-Type", plain), ("Retry-After", "1")]
            )
        else {
            throw MetricsServerError(.startFailed, "cannot create the fixed responses (out of memory)")
        }
        self.notFound = notFound
        self.methodNotAllowed = methodNotAllowed
        self.contentTooLarge = contentTooLarge
        self.unauthorized = unauthorized
        self.healthy = healthy
        self.internalError = internalError
        self.serviceUnavailable = serviceUnavailable
    }

    deinit {
        for response in [
            self.notFound, self.methodNotAllowed, self.contentTooLarge, self.unauthorized, self.healthy,
            self.internalError, self.serviceUnavailable,
        ] {
            MHD_destroy_response(response)
        }
    }

    private static func fixedResponse(_ body: String, _ headers: [(String, String)]) -> OpaquePointer? {
        var bytes = Array(body.utf8)
        let response = bytes.withUnsafeMutableBytes { raw in
            MHD_create_response_from_buffer(raw.count, raw.baseAddress, .RESPMEM_MUST_COPY)
        }
        guard let response else { return nil }
        for (name, value) in headers {
            guard MHD_add_response_header(response, name, value) == .YES else {
                MHD_destroy_response(response)
                return nil
            }
        }
        return response
    }

    // MARK: - Connection events

    func connectionStarted(_ connection: OpaquePointer) {
        let descriptor = cmhd_connection_fd(connection)
        guard descriptor >= 0 else { return }
        self.deadlines.opened(
            key: UInt(bitPattern: Int(bitPattern: UnsafeRawPointer(connection))),
            descriptor: descriptor,
            deadline: self.clock.nanoseconds() &+ self.requestTimeout
        )
    }

    func connectionClosed(_ connection: OpaquePointer) {
        self.deadlines.closed(UInt(bitPattern: Int(bitPattern: UnsafeRawPointer(connection))))
    }

    func requestCompleted(_ connection: OpaquePointer, requestState: UnsafeMutablePointer<UnsafeMutableRawPointer?>?) {
        guard let requestState, let state = requestState.pointee else { return }
        requestState.pointee = nil
        Unmanaged<RequestState>.fromOpaque(state).release()
        self.inFlight.subtract(1, ordering: .relaxed)
        self.deadlines.arm(
            UInt(bitPattern: Int(bitPattern: UnsafeRawPointer(connection))),
            deadline: self.clock.nanoseconds() &+ self.keepAliveAllowance &+ self.requestTimeout
        )
    }

    // MARK: - Requests

    private enum Method {
        case get
        case head
        case other
    }

    /// The access handler. libmicrohttpd calls it once when the request head is complete and again (possibly more
    /// often, with body data) afterwards. A response queued on the first call makes libmicrohttpd close the
    /// connection after it, so accepted requests are answered on the second call (keep-alive survives) and refused
    /// ones (a body, a method other than GET and HEAD) on the first.
    func handle(
        connection: OpaquePointer,
        url: UnsafePointer<CChar>?,
        method: UnsafePointer<CChar>?,
        uploadDataSize: UnsafeMutablePointer<Int>?,
        requestState: UnsafeMutablePointer<UnsafeMutableRawPointer?>
    ) -> MHD_Result {
        let route = url.map { Route.match($0, metricsPath: self.metricsPath) } ?? .unknown
        let kind = Self.method(method)
        if requestState.pointee == nil {
            // The request head is complete: this is when the request arrived. The state (non-nil from now on, which
            // tells the next call and the completion callback that the request was seen) holds that time.
            let arrival = self.clock.nanoseconds()
            let state = RequestState(arrival: arrival, renderTicket: route == .metrics ? self.shared.ticket() : 0)
            requestState.pointee = Unmanaged.passRetained(state).toOpaque()
            self.inFlight.add(1, ordering: .relaxed)
            self.deadlines.arm(
                UInt(bitPattern: Int(bitPattern: UnsafeRawPointer(connection))),
                deadline: arrival &+ self.requestTimeout
            )
            if self.hasBody(connection, uploadDataSize: uploadDataSize) {
                return self.queue(connection, self.contentTooLarge, code: 413, route: route)
            }
            if kind == .other {
                if !self.isAuthorized(connection) {
                    return self.queue(connection, self.unauthorized, code: 401, route: route)
                }
                return route == .unknown
                    ? self.queue(connection, self.notFound, code: 404, route: route)
                    : self.queue(connection, self.methodNotAllowed, code: 405, route: route)
            }
            return .YES
        }
        if let uploadDataSize, uploadDataSize.pointee != 0 {
            uploadDataSize.pointee = 0
            return self.queue(connection, self.contentTooLarge, code: 413, route: route)
        }
        if !self.isAuthorized(connection) {
            return self.queue(connection, self.unauthorized, code: 401, route: route)
        }
        switch route {
        case .metrics:
            return self.serveMetrics(connection, requestState: requestState)
        case .landingPage:
            return self.serveLandingPage(connection)
        case .healthy, .healthz:
            return self.queue(connection, self.healthy, code: 200, route: route)
        case .unknown:
            return self.queue(connection, self.notFound, code: 404, route: route)
        }
    }

    private static func method(_ method: UnsafePointer<CChar>?) -> Method {
        guard let method else { return .other }
        if strcmp(method, "GET") == 0 { return .get }
        if strcmp(method, "HEAD") == 0 { return .head }
        return .other
    }

    private func hasBody(_ connection: OpaquePointer, uploadDataSize: UnsafeMutablePointer<Int>?) -> Bool {
        if let uploadDataSize, uploadDataSize.pointee > 0 { return true }
        if MHD_lookup_connection_value(connection, .HEADER_KIND, "Transfer-Encoding") != nil { return true }
        if let length = MHD_lookup_connection_value(connection, .HEADER_KIND, "Content-Length") {
            return strcmp(length, "0") != 0
        }
        return false
    }

    private func isAuthorized(_ connection: OpaquePointer) -> Bool {
        guard let authenticator = self.authenticator else { return true }
        return authenticator.isAuthorized(
            header: MHD_lookup_connection_value(connection, .HEADER_KIND, "Authorization")
        )
    }

    private func queue(_ connection: OpaquePointer, _ response: OpaquePointer, code: Int, route: Route) -> MHD_Result {
        self.selfMetrics.recordRequest(route: route, code: code)
        return MHD_queue_response(connection, UInt32(code), response)
    }

    /// Serves the exposition from a render that started at or after the request arrived (see ``SharedRender``): the
    /// latest one if it is recent enough, otherwise the connection is suspended until the render thread has one.
    private func serveMetrics(
        _ connection: OpaquePointer,
        requestState: UnsafeMutablePointer<UnsafeMutableRawPointer?>
    ) -> MHD_Result {
        guard let raw = requestState.pointee else {
            return self.queue(connection, self.internalError, code: 500, route: .metrics)
        }
        let state = Unmanaged<RequestState>.fromOpaque(raw).takeUnretainedValue()
        if let pending = state.pending {
            // Resumed: the render thread, the reaper or shutdown has decided.
            switch self.shared.outcome(of: pending) {
            case .body(let body):
                return self.respond(connection, body)
            case .timedOut:
                self.logger.warning("metrics scrape timed out waiting for a render")
                return self.queue(connection, self.serviceUnavailable, code: 503, route: .metrics)
            case .unavailable, nil:
                return self.queue(connection, self.serviceUnavailable, code: 503, route: .metrics)
            case .failed:
                self.logger.error("metrics response could not be rendered (out of memory or zlib failure)")
                return self.queue(connection, self.internalError, code: 500, route: .metrics)
            }
        }
        let gzip =
            self.gzipLevel != nil
            && acceptsGzip(MHD_lookup_connection_value(connection, .HEADER_KIND, "Accept-Encoding"))
        if let body = self.shared.fresh(gzip: gzip, ticket: state.renderTicket) {
            return self.respond(connection, body)
        }
        let pending = PendingScrape(
            connection: connection,
            ticket: state.renderTicket,
            // Half the request timeout to wait, the other half to send.
            deadline: state.arrival &+ self.requestTimeout / 2,
            gzip: gzip
        )
        state.pending = pending
        MHD_suspend_connection(connection)
        if !self.shared.enqueue(pending) {
            MHD_resume_connection(connection)
        }
        return .YES
    }

    /// Queues a `200` response that sends a shared body.
    private func respond(_ connection: OpaquePointer, _ body: RenderedBody) -> MHD_Result {
        let retained = Unmanaged.passRetained(body).toOpaque()
        guard
            let response = MHD_create_response_from_buffer_with_free_callback_cls(
                body.count,
                // libmicrohttpd takes `void *` but only reads from it.
                body.bytes.map { UnsafeMutableRawPointer(mutating: $0) },
                releaseRenderedBody,
                retained
            )
        else {
            Unmanaged<RenderedBody>.fromOpaque(retained).release()
            return self.queue(connection, self.internalError, code: 500, route: .metrics)
        }
        defer { MHD_destroy_response(response) }
        MHD_add_response_header(response, "Content-Type", "text/plain; version=0.0.4; charset=utf-8")
        MHD_add_response_header(response, "Vary", "Accept-Encoding")
        if body.isGzip {
            MHD_add_response_header(response, "Content-Encoding", "gzip")
        }
        return self.queue(connection, response, code: 200, route: .metrics)
    }

    /// Renders the source and the self-metrics once, as render number `number`, and produces the requested bodies:
    /// the text itself (plain, sent without a copy) and its gzip compression. Records the render time. Runs on the
    /// render thread.
    func render(plain: Bool, gzip: Bool, number: UInt64) -> (plain: RenderedBody?, gzip: RenderedBody?) {
        let started = self.clock.nanoseconds()
        let buffer = self.pool.take()
        self.source(&buffer.text)
        if let last = buffer.text.last, last != 0x0A { buffer.text.append(0x0A) }
        self.selfMetrics.render(into: &buffer.text, openConnections: self.deadlines.count)
        var compressed: RenderedBody? = nil
        if gzip, let level = self.gzipLevel {
            compressed = buffer.gzipText(level: level).map {
                RenderedBody(gzip: $0.bytes, count: $0.count, renderNumber: number)
            }
        }
        let text = plain ? RenderedBody(keepingText: buffer, renderNumber: number) : nil
        if !plain { self.pool.giveBack(buffer) }
        if text != nil || compressed != nil {
            self.selfMetrics.recordScrape(seconds: Double(self.clock.nanoseconds() &- started) / 1e9)
        }
        return (text, compressed)
    }

    private func serveLandingPage(_ connection: OpaquePointer) -> MHD_Result {
        var page: [UInt8] = []
        page.reserveCapacity(1_024)
        self.landingPage.render(status: self.status, into: &page)
        let response = page.withUnsafeMutableBytes { raw in
            MHD_create_response_from_buffer(raw.count, raw.baseAddress, .RESPMEM_MUST_COPY)
        }
        guard let response else {
            return self.queue(connection, self.internalError, code: 500, route: .landingPage)
        }
        defer { MHD_destroy_response(response) }
        MHD_add_response_header(response, "Content-Type", "text/html; charset=utf-8")
        MHD_add_response_header(response, "Cache-Control", "no-store")
        MHD_add_response_header(response, "X-Content-Type-Options", "nosniff")
        MHD_add_response_header(response, "Content-Security-Policy", "default-src 'none'")
        return self.queue(connection, response, code: 200, route: .landingPage)
    }
}

/// Whether an `Accept-Encoding` header value accepts gzip: `gzip`, `x-gzip` or `*` with a non-zero quality, unless
/// gzip itself is listed with quality 0.
func acceptsGzip(_ header: UnsafePointer<CChar>?) -> Bool {
    guard let header else { return false }
    let length = strnlen(header, 4_096)
    let bytes = UnsafeBufferPointer(start: UnsafeRawPointer(header).assumingMemoryBound(to: UInt8.self), count: length)
    return acceptsGzip(bytes)
}

func acceptsGzip(_ bytes: some Collection<UInt8>) -> Bool {
    var gzip: Bool? = nil
    var wildcard = false
    for element in bytes.split(separator: 0x2C) {
        let parts = element.split(separator: 0x3B)
        guard let first = parts.first else { continue }
        let coding = String(decoding: first, as: UTF8.self).trimmingASCIIWhitespace().lowercased()
        var quality = 1.0
        for parameter in parts.dropFirst() {
            let text = String(decoding: parameter, as: UTF8.self).trimmingASCIIWhitespace().lowercased()
            if text.hasPrefix("q=") { quality = Double(text.dropFirst(2)) ?? 0 }
        }
        switch coding {
        case "gzip", "x-gzip": gzip = (gzip ?? false) || quality > 0
        case "*": wildcard = quality > 0
        default: break
        }
    }
    return gzip ?? wildcard
}

extension String {
    fileprivate func trimmingASCIIWhitespace() -> String {
        let scalars = self.unicodeScalars
        let start = scalars.firstIndex { $0 != " " && $0 != "\t" } ?? scalars.endIndex
        let end = scalars.lastIndex { $0 != " " && $0 != "\t" }.map { scalars.index(after: $0) } ?? start
        return start < end ? String(scalars[start..<end]) : ""
    }
}

/// libmicrohttpd's free callback for `/metrics` responses: releases the response's reference to the shared body,
/// which is freed (or its buffer returned to the pool) with the last one.
private func releaseRenderedBody(_ context: UnsafeMutableRawPointer?) {
    guard let context else { return }
    Unmanaged<RenderedBody>.fromOpaque(context).release()
}
