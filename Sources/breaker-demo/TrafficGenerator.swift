import CircuitBreaker
import ServiceLifecycle

/// Calls each dependency through its breaker at a steady rate until the service group shuts down.
struct TrafficGenerator: Service {
    struct Route: Sendable {
        let breaker: CircuitBreaker
        let dependency: SimulatedDependency
        /// Served by the fallback when the breaker rejects (or the call fails, as the breaker is configured).
        let cachedAnswer: String?
    }

    let routes: [Route]
    let callsPerSecond: Double
    /// Each call runs in a traced task (for exemplars).
    let tracing: DemoTracing

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                for route in routes {
                    group.addTask { await drive(route) }
                }
            }
        }
    }

    /// One dependency: a call every 1/rate seconds.
    private func drive(_ route: Route) async {
        await atSteadyRate(callsPerSecond) { _ in await call(route) }
    }

    private func call(_ route: Route) async {
        let dependency = route.dependency
        await tracing.traced {
            if let cached = route.cachedAnswer {
                _ = try? await route.breaker.execute({ try await dependency.call() }, fallback: { _ in cached })
            } else {
                _ = try? await route.breaker.execute { try await dependency.call() }
            }
        }
    }
}
