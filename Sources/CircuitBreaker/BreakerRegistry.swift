import CircuitBreakerInternals
/// Named breakers, created on first use and shared after.
///
/// ```swift
/// let registry = BreakerRegistry(monitors: [prometheusMonitor])
/// let payments = try registry.breaker(named: "payments", configuration: .consecutiveFailures(5))
/// for snapshot in registry.snapshots() { print(snapshot.name, snapshot.state) }
/// ```
/// Every breaker the registry creates gets the registry's monitors and clock, and so does every
/// ``BreakerGroup`` (``group(named:template:configuration:configure:)``). Breakers and groups share one namespace:
/// a name is the `breaker` label of their series, so a group cannot take a breaker's name, nor the reverse.
public final class BreakerRegistry: Sendable {
    /// The configuration of breakers asked for without one.
    public let defaultConfiguration: CircuitBreaker.Configuration
    /// The monitors attached to every breaker this registry creates.
    public let monitors: [any BreakerMonitor]
    /// The clock of every breaker this registry creates.
    public let clock: BreakerClock
    private let members = Locked(Members())

    private struct Members {
        var breakers: [String: CircuitBreaker] = [:]
        var groups: [String: BreakerGroup] = [:]
    }

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
        try members.withLock { members in
            if members.groups[name] != nil {
                throw ConfigurationError(
                    .conflictsWithRegisteredBreaker,
                    field: "name",
                    reason: "a breaker group of that name exists",
                    breakerName: name
                )
            }
            if let existing = members.breakers[name] {
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
            members.breakers[name] = created
            return created
        }
    }

    /// The breaker called `name`, if the registry has one.
    public func existingBreaker(named name: String) -> CircuitBreaker? {
        members.withLock { $0.breakers[name] }
    }

    /// Removes the breaker called `name` and detaches its monitors (a Prometheus monitor drops its series).
    /// Callers still holding the breaker can go on using it, unmonitored by the registry.
    @discardableResult
    public func remove(named name: String) -> CircuitBreaker? {
        let removed = members.withLock { $0.breakers.removeValue(forKey: name) }
        removed?.detachMonitors()
        return removed
    }

    /// Every breaker, sorted by name (the breakers of groups not included: see ``groups``).
    public var breakers: [CircuitBreaker] {
        members.withLock { Array($0.breakers.values) }.sorted { $0.name < $1.name }
    }

    // MARK: Groups

    /// The group called `name`, created if there is none yet with `template` (or the registry's default
    /// configuration), `configuration` and `configure`, and with the registry's monitors and clock.
    ///
    /// A group is one name in the registry: a monitor with a cap on breakers (`PrometheusMonitor`'s
    /// `maximumBreakers`) counts it once, and its keys are bounded by the group's own
    /// ``BreakerGroup/Configuration-swift.struct/maximumKeys``.
    ///
    /// - Throws: ``ConfigurationError`` with code ``ConfigurationError/Code/conflictsWithRegisteredBreaker`` when a
    ///   breaker has that name, or a group has it with another template or configuration (passing `nil` accepts
    ///   the existing template; an existing group keeps the `configure` closure it was created with); another
    ///   ``ConfigurationError`` for an invalid template or configuration; and any error of a monitor's
    ///   ``BreakerMonitor/bind(toGroup:)``.
    public func group(
        named name: String,
        template: CircuitBreaker.Configuration? = nil,
        configuration: BreakerGroup.Configuration = .default,
        configure: BreakerGroup.KeyConfiguration? = nil
    ) throws -> BreakerGroup {
        try members.withLock { members in
            if members.breakers[name] != nil {
                throw ConfigurationError(
                    .conflictsWithRegisteredBreaker,
                    field: "name",
                    reason: "a breaker of that name exists",
                    breakerName: name
                )
            }
            if let existing = members.groups[name] {
                if let template, template != existing.template {
                    throw ConfigurationError(
                        .conflictsWithRegisteredBreaker,
                        field: "template",
                        reason: "a breaker group of that name exists with a different template",
                        breakerName: name
                    )
                }
                if configuration != existing.configuration {
                    throw ConfigurationError(
                        .conflictsWithRegisteredBreaker,
                        field: "configuration",
                        reason: "a breaker group of that name exists with a different configuration",
                        breakerName: name
                    )
                }
                return existing
            }
            let created = try BreakerGroup(
                name: name,
                template: template ?? defaultConfiguration,
                configuration: configuration,
                configure: configure,
                monitors: monitors,
                clock: clock
            )
            members.groups[name] = created
            return created
        }
    }

    /// The group called `name`, if the registry has one.
    public func existingGroup(named name: String) -> BreakerGroup? {
        members.withLock { $0.groups[name] }
    }

    /// Removes the group called `name` and detaches its breakers and monitors (a Prometheus monitor drops every
    /// series of the group). Callers still holding the group can go on using it, unmonitored.
    @discardableResult
    public func removeGroup(named name: String) -> BreakerGroup? {
        let removed = members.withLock { $0.groups.removeValue(forKey: name) }
        removed?.detachMonitors()
        return removed
    }

    /// Every group, sorted by name.
    public var groups: [BreakerGroup] {
        members.withLock { Array($0.groups.values) }.sorted { $0.name < $1.name }
    }

    /// A snapshot of every breaker, sorted by name.
    public func snapshots() -> [BreakerSnapshot] {
        breakers.map { $0.snapshot() }
    }
}
