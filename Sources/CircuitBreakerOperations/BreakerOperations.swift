import CircuitBreaker
import Logging

/// Operators' view and control of circuit breakers over HTTP: a JSON status API, a stream of server-sent events,
/// time-limited and audited overrides saved across restarts, and a live status page.
///
/// ```swift
/// let operations = BreakerOperations(configuration: .init(stateFile: "overrides.json"), logger: logger)
/// let registry = BreakerRegistry(monitors: [prometheusMonitor] + operations.monitors)
/// ```
/// Create it before the registry, and give the registry its ``monitors``: they publish the events, restore saved
/// overrides as breakers are registered (including breakers created long after start), and count calls for the
/// page. Then mount its routes for the registry (``routes(for:readAccess:)``) on the exporter's `MetricsServer`, or on
/// a Hummingbird router with `CircuitBreakerHummingbird`: they are transport-neutral
/// (`PortableRoutes.PortableRoute`).
public final class BreakerOperations: Sendable {
    /// How the routes behave.
    public let configuration: Configuration
    let logger: Logger
    let hub: EventHub
    let keeper: OverrideKeeper
    let monitor: OperationsMonitor
    let callCounter: CallCounter?
    /// The clock of events, expiry and heartbeats.
    let clock: BreakerClock

    /// Creates the operations and loads the state file, if one is configured. Nothing in the file is fatal (see
    /// ``stateFileError``): invalid entries are refused and the file moved aside with them; a file that is not a
    /// state file is moved aside; a file that cannot be read, is a symbolic link or belongs to another user is
    /// left in place and never written over. Each case is logged as an error.
    ///
    /// - Parameters:
    ///   - configuration: where overrides are saved, limits, refresh interval.
    ///   - logger: where the audit lines and errors go; the module never creates a logger of its own.
    ///   - clock: the clock of event timestamps and override expiry checks (``/CircuitBreaker/BreakerClock/system``,
    ///     or a manual clock in tests, the same as the registry's).
    public init(configuration: Configuration = .default, logger: Logger, clock: BreakerClock = .system) {
        self.configuration = configuration
        self.logger = logger
        self.hub = EventHub(
            limits: .init(
                replayCapacity: configuration.replayCapacity,
                clientQueueCapacity: configuration.clientQueueCapacity,
                maximumClients: configuration.maximumEventClients
            ),
            firstID: UInt64(max(clock.wallClockSeconds() * 1e6, 1))
        )
        self.keeper = OverrideKeeper(
            file: configuration.stateFile.map(OverrideStateFile.init(path:)),
            maximumTTL: configuration.maximumTTL,
            clock: clock,
            logger: logger
        )
        self.monitor = OperationsMonitor(hub: hub, keeper: keeper, logger: logger)
        self.callCounter = configuration.countsCalls ? CallCounter() : nil
        self.clock = clock
    }

    /// The monitors to give the registry (``/CircuitBreaker/BreakerRegistry/init(defaultConfiguration:monitors:clock:)``):
    /// the events and overrides monitor, which does not observe calls, and, with
    /// ``Configuration-swift.struct/countsCalls``, the call counter.
    public var monitors: [any BreakerMonitor] {
        [monitor] + (callCounter.map { [$0] } ?? [])
    }

    /// What was wrong with the state file at start, if anything (the error was logged): see
    /// ``init(configuration:logger:clock:)`` for what happened to the file in each case.
    public var stateFileError: OperationsError? {
        keeper.loadError
    }

    /// How many event-stream clients were dropped for falling behind since start (also in the status API's
    /// `event_stream.dropped_clients`).
    public var droppedEventClients: Int {
        hub.droppedClients
    }

    /// The status document of `registry`, as `GET /api/v1/breakers` serves it (JSON).
    public func statusDocument(for registry: BreakerRegistry) -> [UInt8] {
        handlers(for: registry).renderer.renderList()
    }

    /// The status page of `registry`, as `GET /` (or, with `admin`, `GET /admin`) serves it (HTML).
    public func statusPage(for registry: BreakerRegistry, admin: Bool = false) -> [UInt8] {
        handlers(for: registry).statusPage(admin: admin).body.bytes ?? []
    }

    /// The events as they happen, for consumers other than `GET /api/v1/events` (which sends the same events as
    /// server-sent events): events after `lastEventID` that are still buffered come first (see
    /// ``OperationsEventStream``). `nil` when ``Configuration-swift.struct/maximumEventClients`` readers are
    /// connected.
    public func events(after lastEventID: String?) -> OperationsEventStream? {
        EventSubscription.connect(to: hub, lastEventID: lastEventID).map { OperationsEventStream(subscription: $0) }
    }
}
