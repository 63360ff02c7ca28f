import CircuitBreakerInternals
import CMicroHTTPD
import HTTPTypes
import Logging
import MetricsEndpoint
import PortableRoutes
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Everything the libmicrohttpd callbacks need, shared by all worker threads of one running server: the route
/// table behind its gate, the exposition machinery, the connection table, and the open streams.
///
/// The request flow: libmicrohttpd calls ``handle(connection:url:method:uploadData:uploadDataSize:requestState:)``
/// once when a request head is complete (the gate decides then; a refused request with a body is answered at once,
/// so its body is never read), once per piece of body, and once more when the request is complete (the answer
/// comes then, which keeps the connection alive).
///
/// `@unchecked Sendable`: every stored property is immutable after `init` and either `Sendable` itself or the
/// prepared ``FixedResponses`` (see there).
final class ServerContext: @unchecked Sendable {
    let configuration: MetricsServerConfiguration
    let logger: Logger
    let clock: any ServerClock
    let sources: ExpositionSources
    /// The formats ``sources`` offers.
    let offeredFormats: Set<ExpositionFormat>
    let gate: RequestGate
    /// Runs bcrypt off libmicrohttpd's threads; `nil` without users. Its threads run from `MetricsServer.launch`
    /// until `MetricsServer.tearDown`.
    let authenticationPool: AuthenticationPool?
    /// The route table (the gate holds the same one).
    let table: RouteTable
    /// For each route, whether it is the exposition route (looked up per request without copying the route).
    private let isExpositionRoute: [Bool]
    /// Every open connection: deadlines, admission, and watching for clients that left.
    let connections: ConnectionTable
    let selfMetrics: SelfMetrics
    let pool: ResponseBufferPool
    /// Bounds how many renders' bodies exist at once.
    let budget = RenderBudget()
    /// Compresses on the render thread.
    let compressor = GzipCompressor()
    /// Runs at the start of each render, after its permit: a test hook (see ``MetricsServer/interposeRenders(_:)``).
    let renderInterposer: (@Sendable (UInt64) -> Void)?
    /// Single-flight rendering shared by concurrent scrapes; its thread runs from `MetricsServer.launch` until
    /// `MetricsServer.tearDown`.
    let shared = SharedRender()
    let fixed: FixedResponses
    let inFlight = Atomic<Int>(0)
    /// The certificate, key and priority string as C strings for libmicrohttpd, kept for the daemon's lifetime.
    let tlsMaterial: TLSMaterial?
    /// The last messages libmicrohttpd logged, for the error of a failed start.
    let recentMessages = Locked<[String]>([])
    /// The request timeout in nanoseconds.
    let requestTimeout: UInt64
    private let keepAliveAllowance: UInt64
    let gzipLevel: Int32?
    private let streams = Locked<[UInt: StreamConnection]>([:])

    init(
        configuration: MetricsServerConfiguration,
        logger: Logger,
        clock: any ServerClock,
        sources: ExpositionSources,
        routes: [Route],
        status: StatusProvider?,
        admission: ConnectionAdmission,
        renderInterposer: (@Sendable (UInt64) -> Void)? = nil,
        authenticationInterposer: (@Sendable () -> Void)? = nil
    ) throws(MetricsServerError) {
        self.renderInterposer = renderInterposer
        self.configuration = configuration
        self.connections = ConnectionTable(admission: admission)
        self.logger = logger
        self.clock = clock
        self.sources = sources
        self.offeredFormats = sources.formats
        let landingPage = LandingPage(
            serviceName: configuration.serviceName,
            serviceVersion: configuration.serviceVersion,
            metricsPath: configuration.metricsPath
        )
        let table = try RouteTable(
            standard: Route.standardRoutes(
                metricsPath: configuration.metricsPath,
                landingPage: landingPage,
                status: status
            ),
            custom: routes
        )
        let authenticator = configuration.basicAuth.map { Authenticator(configuration: $0) }
        self.gate = RequestGate(table: table, authenticator: authenticator)
        self.authenticationPool = authenticator.map {
            AuthenticationPool(authenticator: $0, clock: clock, beforeCheck: authenticationInterposer)
        }
        self.table = table
        self.isExpositionRoute = table.routes.map { route in
            if case .exposition = route.action { true } else { false }
        }
        let metricsGroup = table.routes.indices.first {
            if case .exposition = table.routes[$0].action { true } else { false }
        }
        self.selfMetrics = SelfMetrics(
            pathLabels: table.groups.map(\.pattern.description),
            alwaysShown: metricsGroup.map { table.groupOfRoute[$0] } ?? -1,
            failedLogins: { authenticator?.failedAttempts ?? 0 }
        )
        // Enough for every render the budget allows, in each format offered.
        self.pool = ResponseBufferPool(capacity: RenderBudget.defaultRenders * sources.formats.count)
        self.requestTimeout = configuration.limits.requestTimeout.clampedNanoseconds
        self.keepAliveAllowance = configuration.limits.connectionTimeout.clampedNanoseconds
        self.gzipLevel = configuration.gzipLevel.map { Int32($0) }
        self.tlsMaterial = configuration.tls.map(TLSMaterial.init)
        self.fixed = try FixedResponses(
            realm: configuration.basicAuth?.realm ?? "metrics",
            allowHeaders: table.groups.map(\.allow)
        )
        if table.routes.contains(where: { $0.access == .admin }), configuration.basicAuth?.adminUsers.isEmpty ?? true {
            logger.notice("admin routes are configured but no admin users: they refuse every request")
        }
    }

    // MARK: - Connection events

    static func key(_ connection: OpaquePointer) -> UInt {
        UInt(bitPattern: Int(bitPattern: connection))
    }

    func connectionStarted(_ connection: OpaquePointer) {
        let descriptor = cmhd_connection_fd(connection)
        guard descriptor >= 0 else { return }
        let evicted = self.connections.opened(
            key: Self.key(connection),
            descriptor: descriptor,
            peer: PeerAddress(of: connection),
            deadline: self.clock.nanoseconds() &+ self.requestTimeout
        )
        if evicted > 0 { self.selfMetrics.recordEvictions(evicted) }
    }

    func connectionClosed(_ connection: OpaquePointer) {
        self.connections.closed(Self.key(connection))
    }

    func requestCompleted(
        _ connection: OpaquePointer,
        requestState: UnsafeMutablePointer<UnsafeMutableRawPointer?>?,
        completed: Bool
    ) {
        guard let requestState, let raw = requestState.pointee else { return }
        requestState.pointee = nil
        let state = Unmanaged<RequestState>.fromOpaque(raw).takeRetainedValue()
        if let stream = state.stream {
            _ = self.streams.withLock { $0.removeValue(forKey: stream.key) }
            // Cut for a slow reader: say so, whatever libmicrohttpd saw first.
            if self.connections.cut(of: stream.key) == .deadline { stream.stream.abort(.timedOut) }
            stream.stream.terminate(completed: completed)
        }
        // The connection is idle before the request stops counting as in flight (tests wait on the count).
        self.connections.requestCompleted(
            Self.key(connection),
            deadline: self.clock.nanoseconds() &+ self.keepAliveAllowance &+ self.requestTimeout
        )
        self.inFlight.subtract(1, ordering: .relaxed)
    }

    // MARK: - Requests

    /// The access handler (see the type's documentation for the three kinds of call).
    func handle(
        connection: OpaquePointer,
        url: UnsafePointer<CChar>?,
        method: UnsafePointer<CChar>?,
        uploadData: UnsafePointer<CChar>?,
        uploadDataSize: UnsafeMutablePointer<Int>?,
        requestState: UnsafeMutablePointer<UnsafeMutableRawPointer?>
    ) -> MHD_Result {
        guard let raw = requestState.pointee else {
            let state = self.arrive(connection: connection, url: url, method: method)
            requestState.pointee = Unmanaged.passRetained(state).toOpaque()
            if case .reject(let rejection) = state.verdict, self.bodyOf(connection) != .none {
                // Refused with a body pending: answer now, and libmicrohttpd closes without reading the body.
                return self.reject(connection, state, rejection)
            }
            return .YES
        }
        let state = Unmanaged<RequestState>.fromOpaque(raw).takeUnretainedValue()
        if let uploadDataSize, uploadDataSize.pointee > 0 {
            let count = uploadDataSize.pointee
            uploadDataSize.pointee = 0
            if state.responded { return .YES }
            guard state.takesBody, state.body.count + count <= state.bodyLimit else {
                // Over the limit in the middle of a (chunked) body: libmicrohttpd takes no response before the body
                // has ended, so the rest is read and dropped, and 413 answered at the end; a client that sends more
                // than a mebibyte past the limit is disconnected (and the request deadline bounds the time anyway).
                state.verdict = .reject(.contentTooLarge)
                state.discarded += count
                state.body = []
                return state.discarded > Self.maximumDiscarded ? .NO : .YES
            }
            if let uploadData {
                uploadData.withMemoryRebound(to: UInt8.self, capacity: count) { bytes in
                    state.body.append(contentsOf: UnsafeBufferPointer(start: bytes, count: count))
                }
            }
            return .YES
        }
        if state.responded { return .YES }
        if case .authenticating = state.verdict {
            guard let pending = state.authentication, let continuation = state.continuation else {
                return self.reject(connection, state, .authenticationUnavailable)
            }
            guard let outcome = pending.outcome else { return self.awaitAuthentication(connection, state, pending) }
            switch outcome {
            case .user(let user):
                state.verdict = self.gate.conclude(continuation, user: user)
            case .refused:
                state.verdict =
                    continuation.optional ? self.gate.conclude(continuation, user: nil) : .reject(.unauthorized)
            case .unavailable:
                state.verdict =
                    continuation.optional
                    ? self.gate.conclude(continuation, user: nil) : .reject(.authenticationUnavailable)
            }
        }
        switch state.verdict {
        case .reject(let rejection):
            return self.reject(connection, state, rejection)
        case .authenticating:
            return self.reject(connection, state, .authenticationUnavailable)
        case .admit(let admission):
            if self.isExpositionRoute[admission.route] { return self.serveExposition(connection, state) }
            guard case .handler(let handler) = self.table.routes[admission.route].action else {
                return self.reject(connection, state, .notFound)
            }
            return self.serveHandler(connection, state, admission, handler)
        }
    }

    /// The request is complete but its credentials are still being checked: suspends the connection until the
    /// ``AuthenticationPool`` has the outcome (no thread waits). As for a scrape waiting for a render (see
    /// ``serveExposition(_:_:)``), the first such call answers nothing, so that libmicrohttpd leaves its reading
    /// state before the connection is suspended.
    private func awaitAuthentication(
        _ connection: OpaquePointer,
        _ state: RequestState,
        _ pending: PendingAuthentication
    ) -> MHD_Result {
        if !state.authenticationDeferredOnce {
            state.authenticationDeferredOnce = true
            return .YES
        }
        MHD_suspend_connection(connection)
        let suspended = SuspendedConnection(pointer: connection)
        if !pending.park(wake: { MHD_resume_connection(suspended.pointer) }) {
            MHD_resume_connection(connection)
        }
        return .YES
    }

    /// The most body bytes read and dropped after a body went over its route's limit.
    static let maximumDiscarded = 1 << 20

    /// The first call: the head is complete. Records the arrival, arms the request deadline, asks the gate (and
    /// refuses a connection admitted into the reserve anything but a public route, see ``ConnectionAdmission``).
    private func arrive(
        connection: OpaquePointer,
        url: UnsafePointer<CChar>?,
        method: UnsafePointer<CChar>?
    ) -> RequestState {
        let arrival = self.clock.nanoseconds()
        self.inFlight.add(1, ordering: .relaxed)
        let restricted = self.connections.requestStarted(
            Self.key(connection),
            deadline: arrival &+ self.requestTimeout
        )
        guard let url, let method, let methodValue = HTTPRequest.Method(String(cString: method)) else {
            return RequestState(
                arrival: arrival,
                method: .get,
                path: "",
                verdict: .reject(.badRequest),
                label: self.selfMetrics.otherIndex
            )
        }
        let path = String(cString: url)
        let authorization = MHD_lookup_connection_value(connection, .HEADER_KIND, "Authorization")
        let peer = PeerAddress(of: connection)
        let (decision, label) = cStringBytes(url) { bytes in
            cStringBytes(authorization) { authorization in
                self.gate.check(
                    RequestGate.Head(
                        method: methodValue,
                        path: path,
                        bytes: bytes ?? UnsafeBufferPointer(start: nil, count: 0),
                        authorization: authorization,
                        header: { name in
                            MHD_lookup_connection_value(connection, .HEADER_KIND, name.canonicalName).map {
                                String(cString: $0)
                            }
                        },
                        body: self.bodyOf(connection),
                        peer: peer,
                        now: arrival
                    ),
                    otherLabel: self.selfMetrics.otherIndex
                )
            }
        }
        var verdict: Verdict
        var route: Int?
        var pending: PendingAuthentication?
        var continuation: RequestGate.Continuation?
        switch decision {
        case .verdict(let decided):
            verdict = decided
            if case .admit(let admission) = decided { route = admission.route }
        case .authenticate(let job, let then):
            route = then.route
            let candidate = PendingAuthentication(job: job, deadline: arrival &+ self.requestTimeout / 2)
            if restricted {
                // Admitted into the reserve while every slot is busy: no check is spent on it.
                self.gate.authenticator?.limiter.giveBack(peer, now: arrival)
                verdict = .reject(.overloaded)
            } else {
                switch self.authenticationPool?.submit(candidate) ?? .unavailable {
                case .queued:
                    verdict = .authenticating
                    pending = candidate
                    continuation = then
                case .addressFull:
                    // The address floods: its attempt counts (it keeps its token), so it soon meets 429.
                    verdict = .reject(.authenticationUnavailable)
                case .unavailable:
                    self.gate.authenticator?.limiter.giveBack(peer, now: arrival)
                    verdict = .reject(.authenticationUnavailable)
                }
            }
        }
        if restricted, case .admit(let admission) = verdict, self.table.routes[admission.route].access != .public {
            // Admitted into the reserve while every slot is busy: the reserve is for health checks.
            verdict = .reject(.overloaded)
        }
        if case .reject(.tooManyFailedLogins) = verdict { self.selfMetrics.recordThrottledLogin() }
        let state = RequestState(arrival: arrival, method: methodValue, path: path, verdict: verdict, label: label)
        state.peer = peer
        state.authentication = pending
        state.continuation = continuation
        if let route {
            state.bodyLimit = self.table.routes[route].bodyLimit
            if self.isExpositionRoute[route] { state.renderTicket = self.shared.ticket() }
        }
        return state
    }

    /// What the head says about a body.
    private func bodyOf(_ connection: OpaquePointer) -> RequestGate.Body {
        if MHD_lookup_connection_value(connection, .HEADER_KIND, "Transfer-Encoding") != nil { return .chunked }
        guard let length = MHD_lookup_connection_value(connection, .HEADER_KIND, "Content-Length") else {
            return .none
        }
        let text = String(cString: length)
        guard let value = Int(text), value >= 0 else { return .length(Int.max) }
        return value == 0 ? .none : .length(value)
    }

    /// Whether an error is answered in JSON: always for a path under `/api/` (one error shape for the whole API,
    /// whatever the client accepts), otherwise when the client's `Accept` names `application/json`.
    func wantsJSON(_ connection: OpaquePointer, path: String) -> Bool {
        if path.hasPrefix("/api/") { return true }
        guard let accept = MHD_lookup_connection_value(connection, .HEADER_KIND, "Accept") else { return false }
        return strstr(accept, "application/json") != nil
    }

    func reject(_ connection: OpaquePointer, _ state: RequestState, _ rejection: Rejection) -> MHD_Result {
        let response = self.fixed.response(for: rejection, json: self.wantsJSON(connection, path: state.path))
        return self.queue(connection, state, response, code: rejection.code)
    }

    /// Queues a response and counts it.
    func queue(_ connection: OpaquePointer, _ state: RequestState, _ response: OpaquePointer, code: Int) -> MHD_Result {
        state.responded = true
        self.selfMetrics.recordRequest(pathLabel: state.label, code: code)
        return MHD_queue_response(connection, UInt32(code), response)
    }

    // MARK: - Streams

    /// Registers a stream response's connection, so the reaper and shutdown can reach it.
    func register(_ stream: StreamConnection) {
        self.streams.withLock { $0[stream.key] = stream }
    }

    /// The open streams.
    var streamCount: Int {
        self.streams.withLock { $0.count }
    }

    /// The buffers of the open streams.
    var openStreamBuffers: [ResponseStream] {
        self.streams.withLock { $0.values.map(\.stream) }
    }

    /// The open streams of the client at `peer`.
    func streamCount(of peer: PeerAddress) -> Int {
        self.streams.withLock { streams in streams.values.reduce(0) { $0 + ($1.peer == peer ? 1 : 0) } }
    }

    /// The stream on a connection, if its response is one.
    func stream(_ key: UInt) -> StreamConnection? {
        self.streams.withLock { $0[key] }
    }

    /// Ends every stream: gracefully (`stop`: queued bytes are sent, then the end), or at once.
    func endStreams(gracefully: Bool) {
        let all = self.streams.withLock { Array($0.values) }
        for connection in all {
            if gracefully { connection.stream.stop() } else { connection.stream.abort(.serverStopping) }
        }
    }
}

/// Runs `body` with the bytes of a C string (without its NUL), or with `nil`.
func cStringBytes<T>(_ string: UnsafePointer<CChar>?, _ body: (UnsafeBufferPointer<UInt8>?) -> T) -> T {
    guard let string else { return body(nil) }
    return string.withMemoryRebound(to: UInt8.self, capacity: 1) { bytes in
        body(UnsafeBufferPointer(start: bytes, count: strlen(string)))
    }
}
