@_exported import MetricsEndpoint
@_exported import PortableRoutes
import CircuitBreakerInternals
import CMicroHTTPD
import Logging
import ServiceLifecycle
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// An HTTP server for Prometheus scrapes and a service's own small HTTP API, built on libmicrohttpd.
///
/// The server answers from a route table (see ``/PortableRoutes/PortableRoute``). Its standard routes:
/// - `GET`/`HEAD` ``MetricsServerConfiguration/metricsPath`` (default `/metrics`, scrape users): the exposition in
///   the format the scraper prefers among those offered (``/MetricsEndpoint/ExpositionSources``), followed by the
///   server's own metrics; gzip when the client accepts it; `Vary: Accept, Accept-Encoding`. Never stale: each response
///   comes from a render that started after its request arrived; concurrent requests share one.
/// - `GET /` (scrape users): a small HTML page with the service name, version, links and an optional status section.
/// - `GET /-/healthy` and `GET /healthz` (public): `200 OK` while the server runs.
///
/// A service adds its own routes, and may replace the page at `/`. Before any handler runs, one request gate checks
/// the path (404), the credentials (401 with `WWW-Authenticate`, 403), the method (405 with `Allow`), the body size
/// (413) and the encoding of path and query parameters (400). See ``/PortableRoutes/AccessLevel`` for who may use what.
///
/// Run it in a `ServiceGroup`, which stops it on SIGTERM, or call ``start()`` and ``stop()`` yourself:
/// ```swift
/// let server = MetricsServer(configuration: .default, logger: logger, source: registry.emit(into:))
/// let group = ServiceGroup(services: [server], gracefulShutdownSignals: [.sigterm], logger: logger)
/// try await group.run()
/// ```
public final class MetricsServer: Service, Sendable {
    /// `@unchecked Sendable`: the fields are immutable; `daemon` is only passed to `MHD_quiesce_daemon` and
    /// `MHD_stop_daemon`, which libmicrohttpd allows from any thread, and the state machine in `state` ensures that
    /// exactly one caller (`stop` or `deinit`) ever tears a given daemon down.
    private struct Running: @unchecked Sendable {
        let daemon: OpaquePointer
        let socket: DaemonSocket
        let context: Unmanaged<ServerContext>
        let reaper: DeadlineReaper
        let boundAddress: MetricsServerConfiguration.BindAddress
    }

    private enum State {
        case idle
        case starting
        case running(Running)
        case stopping
    }

    /// The configuration the server was created with.
    public let configuration: MetricsServerConfiguration
    /// The routes added to the standard ones.
    public let routes: [PortableRoute]
    private let logger: Logger
    private let clock: any ServerClock
    private let sources: ExpositionSources
    private let status: StatusProvider?
    private let state = Locked<State>(.idle)
    private let renderInterposer = Locked<(@Sendable (UInt64) -> Void)?>(nil)
    private let authenticationInterposer = Locked<(@Sendable () -> Void)?>(nil)

    /// Creates a server that offers the text format from one source; it does not listen until ``start()`` or
    /// ``run()``.
    ///
    /// - Parameters:
    ///   - configuration: where to listen, limits, TLS and authentication.
    ///   - logger: where the server logs; it never creates a logger of its own.
    ///   - source: writes the text exposition for each scrape.
    ///   - status: optional plain-text status section for the landing page.
    public convenience init(
        configuration: MetricsServerConfiguration,
        logger: Logger,
        source: @escaping ExpositionSource,
        status: StatusProvider? = nil
    ) {
        self.init(
            configuration: configuration,
            logger: logger,
            exposition: ExpositionSources(text: source),
            status: status
        )
    }

    /// Creates a server with the exposition formats of `exposition` and extra routes; it does not listen until
    /// ``start()`` or ``run()``.
    ///
    /// - Parameters:
    ///   - configuration: where to listen, limits, TLS and authentication.
    ///   - logger: where the server logs; it never creates a logger of its own.
    ///   - exposition: the sources of the formats offered on the metrics path.
    ///   - routes: routes added to the standard ones; one with a standard route's path replaces it. Checked by
    ///     ``start()``.
    ///   - status: optional plain-text status section for the standard landing page.
    public convenience init(
        configuration: MetricsServerConfiguration,
        logger: Logger,
        exposition: ExpositionSources,
        routes: [PortableRoute] = [],
        status: StatusProvider? = nil
    ) {
        self.init(
            configuration: configuration,
            logger: logger,
            clock: SystemMonotonicClock(),
            exposition: exposition,
            routes: routes,
            status: status
        )
    }

    /// Creates a server with a text source that reads `clock` for arrival times, deadlines and the reaper; tests
    /// pass a clock they advance by hand.
    package convenience init(
        configuration: MetricsServerConfiguration,
        logger: Logger,
        clock: any ServerClock,
        source: @escaping ExpositionSource,
        status: StatusProvider? = nil
    ) {
        self.init(
            configuration: configuration,
            logger: logger,
            clock: clock,
            exposition: ExpositionSources(text: source),
            status: status
        )
    }

    /// Creates a server that reads `clock` for arrival times, deadlines and the reaper.
    package init(
        configuration: MetricsServerConfiguration,
        logger: Logger,
        clock: any ServerClock,
        exposition: ExpositionSources,
        routes: [PortableRoute] = [],
        status: StatusProvider? = nil
    ) {
        self.configuration = configuration
        self.logger = logger
        self.clock = clock
        self.sources = exposition
        self.routes = routes
        self.status = status
    }

    deinit {
        // A server dropped while running is stopped at once (no grace period).
        if case .running(let running) = self.state.withLock({ $0 }) {
            Self.tearDown(running, quiesced: MHD_quiesce_daemon(running.daemon) >= 0)
        }
    }

    /// The address the server listens on, with the real port when port 0 was configured; `nil` when not running.
    public var boundAddress: MetricsServerConfiguration.BindAddress? {
        self.state.withLock { state in
            if case .running(let running) = state { return running.boundAddress }
            return nil
        }
    }

    /// Whether the server is listening.
    public var isRunning: Bool {
        self.boundAddress != nil
    }

    /// Validates the configuration, opens the listening socket and starts libmicrohttpd's worker threads.
    /// Returns once the socket listens, so a client may connect right away.
    ///
    /// - Throws: ``/MetricsEndpoint/MetricsServerError``:
    ///   ``/MetricsEndpoint/MetricsServerError/Code/invalidConfiguration``,
    ///   ``/MetricsEndpoint/MetricsServerError/Code/addressInUse`` (with the address in the message),
    ///   ``/MetricsEndpoint/MetricsServerError/Code/bindFailed``,
    ///   ``/MetricsEndpoint/MetricsServerError/Code/tlsUnavailable``,
    ///   ``/MetricsEndpoint/MetricsServerError/Code/tlsSetupFailed``,
    ///   ``/MetricsEndpoint/MetricsServerError/Code/invalidRoute``,
    ///   ``/MetricsEndpoint/MetricsServerError/Code/startFailed`` or
    ///   ``/MetricsEndpoint/MetricsServerError/Code/alreadyRunning``.
    public func start() throws(MetricsServerError) {
        try self.configuration.validate()
        if self.configuration.tls != nil, MHD_is_feature_supported(.FEATURE_TLS) != .YES {
            throw MetricsServerError(.tlsUnavailable, "this libmicrohttpd was built without TLS support")
        }
        let claimed = self.state.withLock { state -> Bool in
            guard case .idle = state else { return false }
            state = .starting
            return true
        }
        guard claimed else {
            throw MetricsServerError(.alreadyRunning, "start() called on a server that is running")
        }
        do {
            let running = try self.launch()
            self.state.withLock { $0 = .running(running) }
            self.logger.info(
                "metrics server listening",
                metadata: [
                    "address": "\(running.boundAddress)",
                    "tls": "\(self.configuration.tls != nil)",
                    "basic_auth": "\(self.configuration.basicAuth != nil)",
                    "routes": "\(self.routes.count) added",
                ]
            )
        } catch {
            self.state.withLock { $0 = .idle }
            self.logger.error("metrics server failed to start", metadata: ["error": "\(error)"])
            throw error
        }
    }

    private func launch() throws(MetricsServerError) -> Running {
        let configuration = self.configuration
        let admission = ConnectionAdmission.forServer(configuration.limits, logger: self.logger)
        let context = try ServerContext(
            configuration: configuration,
            logger: self.logger,
            clock: self.clock,
            sources: self.sources,
            routes: self.routes.map(Route.init),
            status: self.status,
            admission: admission,
            renderInterposer: self.renderInterposer.withLock { $0 },
            authenticationInterposer: self.authenticationInterposer.withLock { $0 }
        )
        let (descriptor, port) = try ListeningSocket.open(
            configuration.bindAddress,
            backlog: configuration.limits.listenBacklog
        )
        guard let socket = DaemonSocket(duplicating: descriptor) else {
            let reason = errorText(errno)
            close(descriptor)
            throw MetricsServerError(.startFailed, "cannot duplicate the listening socket: \(reason)")
        }
        let retained = Unmanaged.passRetained(context)
        guard context.shared.start(render: context.render) else {
            socket.releaseAfterFailedStart()
            retained.release()
            throw MetricsServerError(.startFailed, "cannot start the render thread")
        }
        guard context.authenticationPool?.start() ?? true else {
            socket.releaseAfterFailedStart()
            context.shared.close()
            retained.release()
            throw MetricsServerError(.startFailed, "cannot start the authentication threads")
        }
        guard
            let daemon = Self.startDaemon(
                configuration,
                admission: admission,
                descriptor: socket.handedOver,
                context: retained.toOpaque()
            )
        else {
            socket.releaseAfterFailedStart()
            context.authenticationPool?.close()
            context.budget.close()
            context.shared.close()
            let messages = context.recentMessages.withLock { $0 }.joined(separator: "; ")
            retained.release()
            if configuration.tls != nil {
                throw MetricsServerError(.tlsSetupFailed, "libmicrohttpd refused the TLS setup: \(messages)")
            }
            throw MetricsServerError(.startFailed, "libmicrohttpd failed to start: \(messages)")
        }
        let interval = min(max(configuration.limits.requestTimeout / 4, .milliseconds(20)), .milliseconds(250))
        let reaper = DeadlineReaper(context: context, intervalNanoseconds: interval.clampedNanoseconds)
        guard reaper.start() else {
            context.authenticationPool?.close()
            context.budget.close()
            context.shared.close()
            MHD_stop_daemon(daemon)
            socket.releaseAfterStop(quiesced: false)
            retained.release()
            throw MetricsServerError(.startFailed, "cannot start the request-timeout thread")
        }
        var bound = configuration.bindAddress
        bound.port = port
        return Running(
            daemon: daemon,
            socket: socket,
            context: retained,
            reaper: reaper,
            boundAddress: bound
        )
    }

    /// Stops the server: stops accepting connections at once and closes the idle ones, lets responses in flight
    /// finish for up to ``MetricsServerConfiguration/shutdownGracePeriod`` (closing each connection after its
    /// response, so keep-alive clients go rather than send more), then closes every connection and joins the
    /// worker threads. A render still running then is abandoned, not waited for: `stop()` returns within the grace
    /// period plus the time libmicrohttpd takes to close its connections, whatever the exposition source does.
    /// Idempotent: calling it on a server that is not running does nothing.
    public func stop() async {
        await self.stop(gracePeriod: self.configuration.shutdownGracePeriod)
    }

    private func stop(gracePeriod: Duration) async {
        let running = self.state.withLock { state -> Running? in
            guard case .running(let running) = state else { return nil }
            state = .stopping
            return running
        }
        guard let running else { return }
        // Stop accepting: libmicrohttpd forgets the listening socket; shutting it down makes the kernel refuse
        // new connections now rather than queue them.
        let quiesced = MHD_quiesce_daemon(running.daemon) >= 0
        if quiesced {
            shutdown(running.socket.original, Int32(SHUT_RDWR))
        }
        let context = running.context.takeUnretainedValue()
        // Idle keep-alive connections would only bring new requests: close them, and every other one once its
        // response is out.
        context.connections.beginStopping()
        // Streams never end by themselves: ask them to send what they hold and end.
        context.endStreams(gracefully: true)
        // Requests waiting for a credentials check are answered 503 now; checks in progress finish.
        context.authenticationPool?.drain()
        let deadline = ContinuousClock.now + gracePeriod
        while context.inFlight.load(ordering: .relaxed) > 0, ContinuousClock.now < deadline, !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(10))
        }
        Self.tearDown(running, quiesced: quiesced)
        self.state.withLock { $0 = .idle }
        self.logger.info("metrics server stopped", metadata: ["address": "\(running.boundAddress)"])
    }

    /// Stops libmicrohttpd and releases the context and the listening socket (see ``DaemonSocket``).
    private static func tearDown(_ running: Running, quiesced: Bool) {
        running.reaper.stop()
        // Resumes every suspended scrape (with 503) and stream: libmicrohttpd must not find suspended connections
        // when stopping.
        let context = running.context.takeUnretainedValue()
        context.connections.beginStopping()
        context.endStreams(gracefully: false)
        // Resumes every request waiting for a credentials check (answered 503), after the check in progress.
        context.authenticationPool?.close()
        // A render waiting for a permit gives up; one in progress is abandoned (see `SharedRender.close`).
        context.budget.close()
        context.shared.close()
        MHD_stop_daemon(running.daemon)
        running.socket.releaseAfterStop(quiesced: quiesced)
        running.context.release()
    }

    // MARK: - Test hooks

    /// Runs one pass of the deadline reaper now, as of the clock's current reading; nothing when not running.
    package func enforceDeadlines() {
        self.withRunning { $0.reaper.enforceDeadlines() }
    }

    /// The connections the server tracks (open, not yet closed by libmicrohttpd); 0 when not running.
    package var trackedConnections: Int {
        self.withRunning { $0.context.takeUnretainedValue().connections.count } ?? 0
    }

    /// The metrics requests waiting for a render; 0 when not running.
    package var waitingScrapes: Int {
        self.withRunning { $0.context.takeUnretainedValue().shared.waitingCount } ?? 0
    }

    /// Requests whose head has arrived and whose completion libmicrohttpd has not reported yet; 0 when not running.
    package var requestsInFlight: Int {
        self.withRunning { $0.context.takeUnretainedValue().inFlight.load(ordering: .relaxed) } ?? 0
    }

    /// Connections cut by the request deadline so far; 0 when not running.
    package var requestTimeouts: UInt64 {
        self.withRunning { $0.context.takeUnretainedValue().selfMetrics.timeouts } ?? 0
    }

    /// Idle connections evicted to make room so far; 0 when not running.
    package var evictedConnections: UInt64 {
        self.withRunning { $0.context.takeUnretainedValue().selfMetrics.evictions } ?? 0
    }

    /// bcrypt computations run so far; 0 when not running or without users.
    package var bcryptChecksRun: UInt64 {
        self.withRunning { $0.context.takeUnretainedValue().gate.authenticator?.bcryptChecksRun ?? 0 } ?? 0
    }

    /// Credential checks waiting for a thread of the authentication pool; 0 when not running or without users.
    package var authenticationsWaiting: Int {
        self.withRunning { $0.context.takeUnretainedValue().authenticationPool?.waitingCount ?? 0 } ?? 0
    }

    /// The buffers of the open streaming responses (for tests of the streaming machinery; empty when stopped).
    var openStreamBuffers: [ResponseStream] {
        self.withRunning { $0.context.takeUnretainedValue().openStreamBuffers } ?? []
    }

    /// Streams open now; 0 when not running.
    package var openStreams: Int {
        self.withRunning { $0.context.takeUnretainedValue().streamCount } ?? 0
    }

    /// Runs `body` at the start of every render, on the render thread, with the render's number; takes effect at
    /// the next ``start()``. A test hook: the demo uses it to make renders hang (`--hang-renders-after`), to
    /// measure shutdown with a render stuck.
    package func interposeRenders(_ body: @escaping @Sendable (UInt64) -> Void) {
        self.renderInterposer.withLock { $0 = body }
    }

    /// Runs `body` on an authentication thread before each bcrypt check it takes; takes effect at the next
    /// ``start()``. A test hook: tests hold the checks there, so that what the server does meanwhile is seen without
    /// racing the checks.
    package func interposeAuthentications(_ body: @escaping @Sendable () -> Void) {
        self.authenticationInterposer.withLock { $0 = body }
    }

    /// Runs `body` with the running state, with the state lock held so that `stop` cannot tear it down meanwhile.
    private func withRunning<T>(_ body: (Running) -> T) -> T? {
        self.state.withLock { state in
            guard case .running(let running) = state else { return nil }
            return body(running)
        }
    }

    /// Starts the server, waits for graceful shutdown (or cancellation), then stops it; the `Service` entry
    /// point for `ServiceGroup`. On cancellation responses in flight are not waited for.
    public func run() async throws {
        try self.start()
        do {
            try await gracefulShutdown()
            await self.stop()
        } catch {
            await self.stop(gracePeriod: .zero)
        }
    }
}
