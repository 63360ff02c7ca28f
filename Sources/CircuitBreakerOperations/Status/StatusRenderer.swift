import CircuitBreaker

/// Renders the status API's JSON: `GET /api/v1/breakers` (every breaker of a registry, sorted by name, with the
/// event stream's client counts) and `GET /api/v1/breakers/{name}` (one breaker).
///
/// Written by hand with ``JSONWriter``: see there for the measurement that ruled out `JSONEncoder`.
struct StatusRenderer: Sendable {
    let registry: BreakerRegistry
    let calls: CallCounter?
    let hub: EventHub
    let monitor: OperationsMonitor

    /// The status of every breaker of the registry, sorted by name.
    func statuses() -> [BreakerStatus] {
        let counts = calls?.allCounts()
        let history = monitor.history.all()
        let policies = monitor.policies.withLock { $0 }
        let breakers = registry.breakers
        var statuses: [BreakerStatus] = []
        statuses.reserveCapacity(breakers.count)
        for breaker in breakers {
            statuses.append(
                BreakerStatus(
                    snapshot: breaker.snapshot(),
                    configuration: breaker.configuration,
                    policy: policies[breaker.name],
                    calls: counts.map { $0[breaker.name]?.counts ?? CallCounts() },
                    recentTransitions: history[.breaker(breaker.name)] ?? []
                )
            )
        }
        return statuses
    }

    /// The list document.
    func renderList() -> [UInt8] {
        let statuses = statuses()
        var json = JSONWriter(capacity: 1_024 + statuses.count * 1_200)
        json.beginObject()
        json.key("generated_at")
        json.number(registry.clock.wallClockSeconds())
        json.key("breakers")
        json.beginArray()
        for status in statuses { status.write(to: &json) }
        json.endArray()
        json.key("event_stream")
        json.beginObject()
        json.key("clients")
        json.integer(hub.connectedClients)
        json.key("dropped_clients")
        json.integer(hub.droppedClients)
        json.key("last_event_id")
        json.unsigned(hub.lastEventID)
        json.endObject()
        json.endObject()
        return json.bytes
    }

    /// The document of the breaker called `name`.
    ///
    /// - Throws: ``OperationsError/Code/unknownBreaker``.
    func renderBreaker(named name: String) throws(OperationsError) -> [UInt8] {
        render(try Self.breaker(named: name, in: registry))
    }

    /// The document of `breaker` now.
    func render(_ breaker: CircuitBreaker) -> [UInt8] {
        let status = BreakerStatus(
            snapshot: breaker.snapshot(),
            configuration: breaker.configuration,
            policy: monitor.policies.withLock { $0[breaker.name] },
            calls: calls.map { $0.counts(of: breaker.name) ?? CallCounts() },
            recentTransitions: monitor.history.recentTransitions(of: breaker.name)
        )
        var json = JSONWriter()
        status.write(to: &json)
        return json.bytes
    }

    /// The breaker called `name`.
    ///
    /// - Throws: ``OperationsError/Code/unknownBreaker``.
    static func breaker(named name: String, in registry: BreakerRegistry) throws(OperationsError) -> CircuitBreaker {
        guard let breaker = registry.existingBreaker(named: name) else {
            throw OperationsError(.unknownBreaker, "no breaker is called \"\(name.prefix(200))\"")
        }
        return breaker
    }
}
