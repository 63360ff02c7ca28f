import CircuitBreaker
import ServiceLifecycle

/// Calls the partners of the `partners` group in turn, each through its own key's breaker: one partner in an outage
/// opens its own breaker and leaves the others alone.
struct PartnerTraffic: Service {
    /// The group: one breaker per partner, created on the first call.
    let group: BreakerGroup
    /// The partners, each one key (its name).
    let partners: [SimulatedDependency]
    /// Calls per second over all partners together (each partner gets its share).
    let callsPerSecond: Double
    /// Each call runs in a traced task (for exemplars).
    let tracing: DemoTracing

    func run() async throws {
        guard !partners.isEmpty else { return }
        let interval = Duration.seconds(1 / callsPerSecond)
        let clock = ContinuousClock()
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { calls in
                var next = clock.now
                var turn = 0
                while !Task.isCancelled {
                    let partner = partners[turn]
                    turn = (turn + 1) % partners.count
                    calls.addTask {
                        await tracing.traced {
                            _ = try? await group.execute(key: partner.name) { try await partner.call() }
                        }
                    }
                    next = next.advanced(by: interval)
                    if next < clock.now { next = clock.now }
                    do {
                        try await Task.sleep(until: next, clock: clock)
                    } catch {
                        return
                    }
                }
            }
        }
    }
}
