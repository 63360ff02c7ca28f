#if AsyncHTTPClientSupport
    import AsyncHTTPClient
    import CircuitBreaker
    import CircuitBreakerAsyncHTTPClient
    import NIOCore
    import NIOHTTP1

    /// A group named `partners` on a manual clock: each key trips after `threshold` consecutive failures and stays open
    /// 10 s before one trial call.
    func partnersGroup(
        clock: ManualClock,
        threshold: Int = 1,
        invocationTimeout: Duration? = nil,
        monitors: [any BreakerMonitor] = [],
        configuration: BreakerGroup.Configuration = .init(maximumKeys: 16)
    ) throws -> BreakerGroup {
        var template = CircuitBreaker.Configuration.consecutiveFailures(threshold, openWait: .seconds(10))
        template.invocationTimeout = invocationTimeout
        return try BreakerGroup(
            name: "partners",
            template: template,
            configuration: configuration,
            monitors: monitors,
            clock: .manual(clock)
        )
    }

    extension CircuitBreakingHTTPClient {
        /// GETs `url` and reads the whole body: the status and the body as text.
        func get(_ url: String, timeout: Duration? = nil) async throws -> (status: HTTPResponseStatus, body: String) {
            let response = try await execute(HTTPClientRequest(url: url), timeout: timeout)
            let body = try await response.body.collect(upTo: 1 << 20)
            return (response.status, String(buffer: body))
        }
    }

    /// The state of `key`'s breaker in `group`, without creating it; `nil` when the group holds no such key.
    func state(of key: String, in group: BreakerGroup) -> CircuitState? {
        group.existingBreaker(for: key)?.state
    }

    extension LoopbackUpstream {
        /// Returns once `count` requests have reached the upstream, polling a bounded number of times: a guard against
        /// a hang, not a measurement.
        func waitForRequests(_ count: Int) async throws {
            var polls = 0
            while totalRequests < count, polls < 2_000 {
                try await Task.sleep(for: .milliseconds(5))
                polls += 1
            }
        }
    }
#endif
