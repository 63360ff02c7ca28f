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
                    await every(callsPerSecond) { turn in
                        let partner = partners[turn % partners.count]
                        _ = try? await group.execute(key: partner.name) { try await partner.call() }
                    }
                }
                if madeUpKeysPerSecond > 0 {
                    loops.addTask {
                        await every(madeUpKeysPerSecond) { turn in
                            _ = try? group.execute(key: "visitor-\(turn + 1)") { "ok" }
                        }
                    }
                }
            }
        }
    }

    /// Starts `call(turn)` for turn 0, 1, 2, … at `rate` per second, each in a traced task of its own, until cancelled.
    private func every(_ rate: Double, _ call: @escaping @Sendable (Int) async -> Void) async {
        let interval = Duration.seconds(1 / rate)
        let clock = ContinuousClock()
        await withDiscardingTaskGroup { calls in
            var next = clock.now
            var turn = 0
            while !Task.isCancelled {
                let current = turn
                calls.addTask { await tracing.traced { await call(current) } }
                turn &+= 1
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
