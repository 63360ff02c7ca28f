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
    /// Calls per second with a key never used before (`visitor-1`, `visitor-2`, …) that succeed at once: the
    /// eviction attack, made-up keys pushing at the cap. Only idle keys give way; a partner in an outage keeps its
    /// breaker and its history. 0: none.
    let madeUpKeysPerSecond: Double
    /// Each call runs in a traced task (for exemplars).
    let tracing: DemoTracing

    func run() async throws {
        guard !partners.isEmpty else { return }
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { loops in
                loops.addTask {
                    await atSteadyRate(callsPerSecond) { turn in
                        let partner = partners[turn % partners.count]
                        await tracing.traced {
                            _ = try? await group.execute(key: partner.name) { try await partner.call() }
                        }
                    }
                }
                if madeUpKeysPerSecond > 0 {
                    loops.addTask {
                        await atSteadyRate(madeUpKeysPerSecond) { turn in
                            await tracing.traced { _ = try? group.execute(key: "visitor-\(turn + 1)") { "ok" } }
                        }
                    }
                }
            }
        }
    }
}
