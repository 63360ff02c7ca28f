import CircuitBreaker

/// The three demo breakers, each with its own policy, so that the demo shows them all.
enum DemoBreakers {
    /// Healthy dependency: a failure ratio over the last 100 calls (a count window).
    static let catalog = CircuitBreaker.Configuration(
        trip: .failureRatio(0.5, window: .count(100), minimumCalls: 20),
        slowCallThreshold: .milliseconds(250)
    )

    /// Flaky dependency: failure ratio and slow-call ratio over a 30-second window, a timeout, and a fallback
    /// that serves cached recommendations on rejection, failure and timeout.
    static let recommendations = CircuitBreaker.Configuration(
        trip: .window(
            WindowPolicy(
                window: .time(.seconds(30), buckets: 10),
                minimumCalls: 20,
                failureRatioThreshold: 0.5,
                slowCallRatioThreshold: 0.8
            )
        ),
        openWait: .fixed(.seconds(10)),
        halfOpen: HalfOpenPolicy(trialCalls: 3),
        invocationTimeout: .seconds(1),
        slowCallThreshold: .milliseconds(250),
        fallbackTriggers: .all
    )

    /// Dependency with outages: the classic rule (5 failures in a row), a short backed-off wait so recovery
    /// shows quickly, two trial calls.
    static let payments = CircuitBreaker.Configuration(
        trip: .consecutiveFailures(5),
        openWait: .exponential(initial: .seconds(2), multiplier: 2, maximum: .seconds(8), jitter: 0.1),
        halfOpen: HalfOpenPolicy(trialCalls: 2),
        invocationTimeout: .seconds(2),
        slowCallThreshold: .milliseconds(250)
    )

    /// Shadow mode: trips at a failure ratio of 25 % over the last 20 calls, waits and probes as an enforcing breaker
    /// would, but runs every call. The calls it would have rejected are counted as `outcome="shadow_rejected"`, so
    /// the threshold can be tuned before it is enforced.
    static let search: CircuitBreaker.Configuration = {
        var configuration = CircuitBreaker.Configuration(
            trip: .failureRatio(0.25, window: .count(20), minimumCalls: 20),
            openWait: .fixed(.seconds(5)),
            halfOpen: HalfOpenPolicy(trialCalls: 2)
        )
        configuration.enforcement = .shadow
        return configuration
    }()

    /// The `partners` group's template: one breaker per partner host, tripped by 3 failures in a row, probing with one
    /// call after 5 seconds, so that a partner's outage shows on its own key within seconds.
    static let partnerTemplate = CircuitBreaker.Configuration(
        trip: .consecutiveFailures(3),
        openWait: .fixed(.seconds(5)),
        halfOpen: HalfOpenPolicy(trialCalls: 1),
        invocationTimeout: .seconds(2),
        slowCallThreshold: .milliseconds(250)
    )

    /// The `partners` group's limits: room for every partner and some made-up keys; beyond that, keys share the
    /// overflow breaker.
    static func partnerLimits(partners: Int) -> BreakerGroup.Configuration {
        BreakerGroup.Configuration(maximumKeys: max(1, partners * 2), overflow: .sharedBreaker)
    }
}
