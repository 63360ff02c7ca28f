#if AsyncHTTPClientSupport
    import AsyncHTTPClient
    import CircuitBreaker
    import CircuitBreakerAsyncHTTPClient
    import InMemoryTracing
    import Testing
    import Tracing

    /// The caller's trace context reaches the client's tracer and the upstream, with and without the invocation timeout
    /// (which runs the request in a task of its own).
    @Suite struct TracingTests {
        @Test(arguments: [nil, Duration.seconds(30)])
        func theCallersSpanIsTheParentOfTheClientSpan(invocationTimeout: Duration?) async throws {
            let tracer = InMemoryTracer()
            var configuration = HTTPClient.Configuration()
            configuration.tracing.tracer = tracer
            try await withUpstreams(clientConfiguration: configuration) { upstreams, client in
                let upstream = upstreams[0]
                let group = try partnersGroup(clock: ManualClock(), invocationTimeout: invocationTimeout)
                let partners = CircuitBreakingHTTPClient(client: client, group: group)
                let status = try await tracer.withSpan("checkout") { _ in
                    try await partners.get(upstream.baseURL + "/").status
                }
                #expect(status == .ok)
                let spans = tracer.finishedSpans
                let parent = try #require(spans.first { $0.operationName == "checkout" })
                let request = try #require(spans.first { $0.kind == .client })
                #expect(request.traceID == parent.traceID)
                #expect(request.parentSpanID == parent.spanID)
                #expect(upstream.lastHeaders.first(name: InMemoryTracer.traceIDKey) == parent.traceID)
            }
        }
    }
#endif
