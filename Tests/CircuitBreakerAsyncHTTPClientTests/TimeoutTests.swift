#if AsyncHTTPClientSupport
    import AsyncHTTPClient
    import CircuitBreaker
    import CircuitBreakerAsyncHTTPClient
    import CircuitBreakerTestKit
    import NIOHTTP1
    import Testing

    /// Both bounds on a request: the breaker's invocation timeout (on the group's manual clock) and the client's
    /// deadline (the request's `timeout`, on the system clock). Each is counted against the key. No test here measures
    /// time.
    @Suite struct TimeoutTests {
        @Test func theInvocationTimeoutCountsAndCancelsTheRequest() async throws {
            try await withUpstreams { upstreams, client in
                let upstream = upstreams[0]
                upstream.replyToAll(.hang)
                let clock = ManualClock()
                let monitor = CountingMonitor()
                let group = try partnersGroup(clock: clock, invocationTimeout: .seconds(2), monitors: [monitor])
                let partners = CircuitBreakingHTTPClient(client: client, group: group)
                // The client's own deadline is far away: only the breaker's timeout can end this call.
                let call = Task { try await partners.get(upstream.baseURL + "/", timeout: .seconds(600)) }
                await clock.waitForSleepers(1)
                try await upstream.waitForRequests(1)
                #expect(upstream.totalRequests == 1)
                clock.advance(by: .seconds(2))
                let timedOut = await #expect(throws: CallTimeoutError.self) { try await call.value }
                #expect(timedOut?.timeout == .seconds(2))
                #expect(monitor.counts.timeouts == 1)
                #expect(state(of: upstream.originKey, in: group) == .open)
                await #expect(throws: RequestRejectedError.self) { try await partners.get(upstream.baseURL + "/") }
                #expect(upstream.totalRequests == 1)
            }
        }

        @Test func theRequestTimeoutIsTheClientsDeadlineAndCountsAsAFailure() async throws {
            try await withUpstreams { upstreams, client in
                let upstream = upstreams[0]
                upstream.replyToAll(.hang)
                let monitor = CountingMonitor()
                let group = try partnersGroup(clock: ManualClock(), monitors: [monitor])
                let partners = CircuitBreakingHTTPClient(client: client, group: group)
                // Long enough for a busy machine to connect and send; the upstream never answers.
                await #expect(throws: HTTPClientError.deadlineExceeded) {
                    try await partners.get(upstream.baseURL + "/", timeout: .milliseconds(300))
                }
                #expect(monitor.counts.failures == 1)
                #expect(state(of: upstream.originKey, in: group) == .open)
                #expect(upstream.totalRequests == 1)
            }
        }

        @Test func theTimeoutKnobIsTheDefaultDeadline() async throws {
            try await withUpstreams { upstreams, client in
                let upstream = upstreams[0]
                upstream.replyToAll(.hang)
                let monitor = CountingMonitor()
                let group = try partnersGroup(clock: ManualClock(), monitors: [monitor])
                let partners = CircuitBreakingHTTPClient(
                    client: client,
                    group: group,
                    configuration: .init(timeout: .milliseconds(300))
                )
                await #expect(throws: HTTPClientError.deadlineExceeded) {
                    try await partners.get(upstream.baseURL + "/")
                }
                #expect(monitor.counts.failures == 1)
                #expect(state(of: upstream.originKey, in: group) == .open)
            }
        }

        @Test(arguments: [Duration.seconds(Int64.max), .seconds(86_400 * 365 * 1_000)])
        func anEndlessTimeoutSaturatesInsteadOfTrapping(timeout: Duration) async throws {
            try await withUpstreams { upstreams, client in
                let upstream = upstreams[0]
                let group = try partnersGroup(clock: ManualClock())
                let partners = CircuitBreakingHTTPClient(client: client, group: group)
                #expect(try await partners.get(upstream.baseURL + "/", timeout: timeout).status == .ok)
            }
        }

        @Test(arguments: [Duration.zero, .seconds(-5)])
        func aTimeoutWithNoTimeLeftSendsAndRecordsNothing(timeout: Duration) async throws {
            try await withUpstreams { upstreams, client in
                let upstream = upstreams[0]
                let monitor = CountingMonitor()
                let group = try partnersGroup(clock: ManualClock(), monitors: [monitor])
                let partners = CircuitBreakingHTTPClient(client: client, group: group)
                await #expect(throws: HTTPClientError.deadlineExceeded) {
                    try await partners.get(upstream.baseURL + "/", timeout: timeout)
                }
                #expect(monitor.counts.calls == 0)
                #expect(upstream.totalRequests == 0)
            }
        }

        @Test(arguments: [nil, Duration.seconds(30)])
        func aCallerThatCancelsIsNotCountedAgainstTheKey(invocationTimeout: Duration?) async throws {
            try await withUpstreams { upstreams, client in
                let upstream = upstreams[0]
                upstream.replyToAll(.hang)
                let monitor = CountingMonitor()
                let group = try partnersGroup(
                    clock: ManualClock(),
                    invocationTimeout: invocationTimeout,
                    monitors: [monitor]
                )
                let partners = CircuitBreakingHTTPClient(client: client, group: group)
                let call = Task { try await partners.get(upstream.baseURL + "/", timeout: .seconds(600)) }
                // Bounded wait for the request to reach the upstream (guards against a hang; no duration is asserted).
                try await upstream.waitForRequests(1)
                #expect(upstream.totalRequests == 1)
                call.cancel()
                await #expect(throws: CancellationError.self) { try await call.value }
                #expect(monitor.counts.ignored == 1)
                #expect(monitor.counts.failures == 0)
                #expect(state(of: upstream.originKey, in: group) == .closed)
            }
        }
    }
#endif
