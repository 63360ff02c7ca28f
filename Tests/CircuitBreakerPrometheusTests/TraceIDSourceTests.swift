import CircuitBreaker
import InMemoryTracing
import Instrumentation
import Tracing
import Testing

@testable import CircuitBreakerPrometheus

@Suite struct TraceIDSourceTests {
    @Test func propagatedSourceFindsTheTraceIDOfARealTracer() throws {
        let tracer = InMemoryTracer()
        let monitor = PrometheusMonitor(configuration: .init(recordsDurations: true))
        let clock = ManualClock()
        let breaker = try CircuitBreaker(name: "traced", monitors: [monitor], clock: .manual(clock))
        let traceID = withTracer(tracer) {
            withSpan("checkout") { span in
                _ = try? breaker.execute { clock.advance(by: .milliseconds(7)) }
                return span.context.inMemorySpanContext?.traceID
            }
        }
        let expected = try #require(traceID)
        let text = monitor.emitOpenMetricsToString()
        #expect(text.contains(#"le="0.01"} 1 # {trace_id="\#(expected)"} 0.007"#), "\(text)")
    }

    @Test func w3cTraceparentAndB3HeadersGiveTheTraceID() {
        let injector = PropagatedTraceID.TraceIDInjector()
        var carrier = PropagatedTraceID.Carrier()
        injector.inject(
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            forKey: "traceparent",
            into: &carrier
        )
        #expect(carrier.traceID == "4bf92f3577b34da6a3ce929d0e0e4736")
        var b3 = PropagatedTraceID.Carrier()
        injector.inject("80f198ee56343ba864fe8b2a57d3eff7", forKey: "X-B3-TraceId", into: &b3)
        injector.inject("e457b5a2e4d86bd1", forKey: "X-B3-SpanId", into: &b3)
        #expect(b3.traceID == "80f198ee56343ba864fe8b2a57d3eff7")
        var malformed = PropagatedTraceID.Carrier()
        injector.inject("garbage", forKey: "traceparent", into: &malformed)
        #expect(malformed.traceID == nil)
    }

    @Test func callsOutsideATraceKeepNoExemplar() throws {
        let fixtureMonitor = PrometheusMonitor(
            configuration: .init(recordsDurations: true, exemplarTraceIDs: TestTraceID.source)
        )
        let breaker = try CircuitBreaker(name: "plain", monitors: [fixtureMonitor])
        _ = try breaker.execute { 1 }
        // A context without the key: checked, nothing kept.
        _ = try ServiceContext.withValue(.topLevel) { try breaker.execute { 2 } }
        #expect(!fixtureMonitor.emitOpenMetricsToString().contains("trace_id"))
        let withoutExemplars = PrometheusMonitor(
            configuration: .init(recordsDurations: true, exemplarTraceIDs: .none)
        )
        let other = try CircuitBreaker(name: "untraced", monitors: [withoutExemplars])
        _ = try traced("abc") { try other.execute { 3 } }
        #expect(!withoutExemplars.emitOpenMetricsToString().contains("trace_id"))
        #expect(PrometheusMonitor.Configuration().exemplarTraceIDs == .propagated)
    }
}
