import CircuitBreakerInternals
/// Named breakers, created on first use and shared after.
///
/// ```swift
/// let registry = BreakerRegistry(monitors: [prometheusMonitor])
/// let payments = try registry.breaker(named: "payments", configuration: .consecutiveFailures(5))
/// for snapshot in registry.snapshots() { print(snapshot.name, snapshot.state) }
/// ```
/// Every breaker the registry creates gets the registry's monitors and clock.
public final class BreakerRegistry: Sendable {
    /// The configuration of breakers asked for without one.
    public let defaultConfiguration: CircuitBreaker.Configuration
    /// The monitors attached to every breaker this registry creates.
    public let monitors: [any BreakerMonitor]
    /// The clock of every breaker this registry creates.
    public let clock: BreakerClock
    private let breakersByName = Locked<[String: CircuitBreaker]>([:])

    /// Creates an empty registry.
    public init(
        defaultConfiguration: CircuitBreaker.Configuration = .default,
        monitors: [any BreakerMonitor] = [],
        clock: BreakerClock = .system
    ) {
        self.defaultConfiguration = defaultConfiguration
        self.monitors = monitors
        self.clock = clock
    }

    /// The breaker called `name`, created with `configuration` (or the default) if there is none yet.
    ///
    /// - Throws: ``ConfigurationError`` with code ``ConfigurationError/Code/conflictsWithRegisteredBreaker`` when
    ///   a breaker of that name exists with a different configuration than the one passed (passing `nil` accepts
    ///   the existing one), or with another code for an invalid configuration; and any error of a monitor's
    ///   ``BreakerMonitor/bind(to:)``.
    public func breaker(
        named name: String,
        configuration: CircuitBreaker.Configuration? = nil
    ) throws -> CircuitBreaker {
        try breakersByName.withLock { breakers in
            if let existing = breakers[name] {
                if let configuration, configuration != existing.configuration {
                    throw ConfigurationError(
                        .conflictsWithRegisteredBreaker,
                        field: "configuration",
                        reason: "a breaker of that name exists with a different configuration",
                        breakerName: name
                    )
                }
                return existing
            }
            let created = try CircuitBreaker(
                name: name,
                configuration: configuration ?? defaultConfiguration,
                monitors: monitors,
                clock: clock
            )
            breakers[name] = created
            return created
        }
    }

    /// The breaker called `name`, if the registry has one.
    public func existingBreaker(named name: String) -> CircuitBreaker? {
        breakersByName.withLock { $0[name] }
    }

    /// Removes the breaker called `name` and detaches its monitors (a Prometheus monitor drops its series).
    /// Callers still holding the breaker can go on using it, unmonitored by the registry.
    @discardableResult
    public func remove(named name: String) -> CircuitBreaker? {
        let removed = breakersByName.withLock { $0.removeValue(forKey: name) }
        removed?.detachMonitors()
        return removed
    }

    /// Every breaker, sorted by name.
    public var breakers: [CircuitBreaker] {
        breakersByName.withLock { Array($0.values) }.sorted { $0.name < $1.name }
    }

    /// A snapshot of every breaker, sorted by name.
    public func snapshots() -> [BreakerSnapshot] {
        breakers.map { $0.snapshot() }
    }
}
