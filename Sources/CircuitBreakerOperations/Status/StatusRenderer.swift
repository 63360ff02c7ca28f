import CircuitBreaker
import Foundation

/// Renders the status API's JSON: `GET /api/v1/breakers` (every breaker of a registry, sorted by name, with the
/// event stream's client counts) and `GET /api/v1/breakers/{name}` (one breaker).
///
/// Encoded with Foundation's `JSONEncoder`: the benchmark `status: render 1,000 breakers` (in
/// `Benchmarks/Benchmarks/OperationsBenchmarks`) keeps it within the 5 ms budget, so there is no hand-written
/// encoder to maintain.
struct StatusRenderer: Sendable {
    let registry: BreakerRegistry
    let calls: CallCounter?
    let hub: EventHub
    let history: TransitionHistory

    /// The status of every breaker of the registry, sorted by name.
    func statuses() -> [BreakerStatus] {
        let counts = calls?.allCounts()
        let breakers = registry.breakers
        var statuses: [BreakerStatus] = []
        statuses.reserveCapacity(breakers.count)
        for breaker in breakers {
            statuses.append(
                BreakerStatus(
                    snapshot: breaker.snapshot(),
                    configuration: breaker.configuration,
                    calls: counts.map { $0[breaker.name]?.counts ?? CallCounts() },
                    recentTransitions: history.recentTransitions(of: breaker.name)
                )
            )
        }
        return statuses
    }

    /// The list document.
    func renderList() -> [UInt8] {
        let document = StatusDocument(
            generatedAt: registry.clock.wallClockSeconds(),
            breakers: statuses(),
            eventStream: .init(
                clients: hub.connectedClients,
                droppedClients: hub.droppedClients,
                lastEventID: hub.lastEventID
            )
        )
        return encode(document)
    }

    /// The document of the breaker called `name`.
    ///
    /// - Throws: ``OperationsError/Code/unknownBreaker``.
    func renderBreaker(named name: String) throws(OperationsError) -> [UInt8] {
        let breaker = try Self.breaker(named: name, in: registry)
        return encode(status(of: breaker))
    }

    /// The status of `breaker` now.
    func status(of breaker: CircuitBreaker) -> BreakerStatus {
        BreakerStatus(
            snapshot: breaker.snapshot(),
            configuration: breaker.configuration,
            calls: calls.map { $0.counts(of: breaker.name) ?? CallCounts() },
            recentTransitions: history.recentTransitions(of: breaker.name)
        )
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

    func encode(_ value: some Encodable) -> [UInt8] {
        // The documents hold strings, integers and finite numbers only: encoding cannot fail. Should it, the
        // client gets an empty object rather than a crash.
        (try? JSONEncoder().encode(value)).map(Array.init) ?? Array("{}".utf8)
    }
}

/// The list document of the status API.
struct StatusDocument: Encodable {
    struct EventStream: Encodable {
        let clients: Int
        let droppedClients: Int
        let lastEventID: UInt64?

        private enum CodingKeys: String, CodingKey {
            case clients
            case droppedClients = "dropped_clients"
            case lastEventID = "last_event_id"
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(clients, forKey: .clients)
            try container.encode(droppedClients, forKey: .droppedClients)
            try container.encode(lastEventID, forKey: .lastEventID)
        }
    }

    let generatedAt: Double
    let breakers: [BreakerStatus]
    let eventStream: EventStream

    private enum CodingKeys: String, CodingKey {
        case generatedAt = "generated_at"
        case breakers
        case eventStream = "event_stream"
    }
}
