import CircuitBreaker
import Logging
import ServiceLifecycle

/// Calls the partners of the `partners` group in turn, each under its own key, through ``transport`` (real HTTP on
/// loopback when built with the AsyncHTTPClientSupport trait): one partner in an outage opens its own breaker and
/// leaves the others alone. On shutdown the calls in flight are cancelled and the transport lets go of its client
/// and upstreams.
struct PartnerTraffic: Service {
    /// How a call reaches its partner.
    let transport: any PartnerTransport
    /// The partners' names, each one key.
    let partners: [String]
    /// Calls per second over all partners together (each partner gets its share).
    let callsPerSecond: Double
    /// Calls per second with a key never used before (`visitor-1`, `visitor-2`, …) that succeed: the eviction
    /// attack, made-up keys pushing at the cap, through the same transport. Only idle keys give way; a partner in an
    /// outage keeps its breaker and its history. 0: none.
    let madeUpKeysPerSecond: Double
    /// Bounds the calls in flight, partners and made-up keys together.
    let inFlight: InFlightLimit
    /// Each call runs in a traced task (for exemplars).
    let tracing: DemoTracing
    let logger: Logger

    /// Creates the transport this build has: HTTP to upstreams started on 127.0.0.1 at `port` (0: a free one) with the
    /// AsyncHTTPClientSupport trait, in process without it (and says so).
    static func transport(
        group: BreakerGroup,
        partners: [SimulatedDependency],
        port: UInt16,
        logger: Logger
    ) throws -> any PartnerTransport {
        #if AsyncHTTPClientSupport
            return try HTTPPartners.start(group: group, partners: partners, port: port, logger: logger)
        #else
            logger.notice(
                "partners are called in process: this build has no AsyncHTTPClientSupport trait (make demo has it)"
            )
            return InProcessPartners(
                group: group,
                partners: Dictionary(partners.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
            )
        #endif
    }

    func run() async throws {
        logger.notice(
            "partners group: calls \(transport.destination)",
            metadata: ["partners": "\(partners.count)", "in-flight-limit": "\(inFlight.limit)"]
        )
        if !partners.isEmpty {
            await cancelWhenGracefulShutdown {
                await withDiscardingTaskGroup { loops in
                    loops.addTask {
                        await atSteadyRate(callsPerSecond) { turn in
                            await call(partners[turn % partners.count])
                        }
                    }
                    if madeUpKeysPerSecond > 0 {
                        loops.addTask {
                            await atSteadyRate(madeUpKeysPerSecond) { turn in await call("visitor-\(turn + 1)") }
                        }
                    }
                }
            }
        }
        if inFlight.skipped > 0 {
            logger.warning("partner calls skipped at the in-flight limit", metadata: ["skipped": "\(inFlight.skipped)"])
        }
        await transport.shutdown()
    }

    private func call(_ key: String) async {
        let ran = await inFlight.run { await tracing.traced { await transport.call(key) } }
        if !ran, inFlight.skipped == 1 {
            logger.warning(
                "partner calls skipped: the in-flight limit is reached (an upstream is slow to answer)",
                metadata: ["limit": "\(inFlight.limit)"]
            )
        }
    }
}
