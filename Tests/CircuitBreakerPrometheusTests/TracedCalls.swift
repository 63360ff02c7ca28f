import CircuitBreaker
import CircuitBreakerPrometheus
import Instrumentation

/// A `ServiceContext` key for a trace id that tests set by hand, and a trace-id source that reads it.
enum TestTraceID: ServiceContextKey {
    typealias Value = String

    /// The monitor's source for this key.
    static let source = PrometheusMonitor.TraceIDSource.custom("test") { $0[TestTraceID.self] }
}

/// Runs `body` as a call inside a traced task whose trace id is `traceID`.
func traced<Result>(_ traceID: String, _ body: () throws -> Result) rethrows -> Result {
    var context = ServiceContext.topLevel
    context[TestTraceID.self] = traceID
    return try ServiceContext.withValue(context, operation: body)
}
