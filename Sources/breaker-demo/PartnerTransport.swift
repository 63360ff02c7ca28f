import CircuitBreaker

/// How the partners group's calls reach a partner: over real HTTP on loopback (`HTTPPartners`, built with the
/// AsyncHTTPClientSupport trait) or in process (``InProcessPartners``, without it).
protocol PartnerTransport: Sendable {
    /// Where the calls go, for the log.
    var destination: String { get }
    /// One call to the partner (or made-up key) `key` through that key's breaker in the group. The outcome is the
    /// breaker's to record: a failure, a timeout or a rejection ends the call quietly.
    func call(_ key: String) async
    /// Lets go of what the transport holds (connections, a server), once no call is in flight.
    func shutdown() async
}

/// The partners simulated in process: each call sleeps and fails as the partner's schedule says, with no network.
/// A made-up key (not a partner) succeeds at once.
struct InProcessPartners: PartnerTransport {
    /// The group whose breakers the calls go through.
    let group: BreakerGroup
    /// The partners by name.
    let partners: [String: SimulatedDependency]

    var destination: String { "in process" }

    func call(_ key: String) async {
        if let partner = partners[key] {
            _ = try? await group.execute(key: key) { try await partner.call() }
        } else {
            _ = try? group.execute(key: key) { "ok" }
        }
    }

    func shutdown() async {}
}
