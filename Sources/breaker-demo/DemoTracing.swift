import CircuitBreakerPrometheus
import Instrumentation
import Synchronization

/// Runs each demo call inside a traced task, so that the duration histogram keeps exemplars: a stand-in for a real
/// tracer (which would use the monitor's default source, ``PrometheusMonitor/TraceIDSource/propagated``).
///
/// Trace ids are 32 hex digits: the prefix (`--trace-id-prefix`, random by default) and a call counter, so that a
/// test can tell the demo's ids from any other.
final class DemoTracing: Sendable {
    /// The context key of a call's trace id.
    enum TraceID: ServiceContextKey {
        typealias Value = String
    }

    /// Where the Prometheus monitor reads the trace id.
    static let source = PrometheusMonitor.TraceIDSource.custom("breaker-demo") { $0[TraceID.self] }

    let prefix: String
    private let counter = Atomic<UInt64>(0)

    /// Takes up to 16 hex digits of `prefix`, padded with zeros.
    init(prefix: String) {
        let digits = prefix.lowercased().filter(\.isHexDigit).prefix(16)
        self.prefix = String(digits) + String(repeating: "0", count: 16 - digits.count)
    }

    /// Runs `operation` with a new trace id in the task's `ServiceContext`.
    func traced<Result>(_ operation: () async throws -> Result) async rethrows -> Result {
        let number = counter.wrappingAdd(1, ordering: .relaxed).newValue
        let digits = String(number, radix: 16)
        var context = ServiceContext.current ?? .topLevel
        context[TraceID.self] = prefix + String(repeating: "0", count: max(0, 16 - digits.count)) + digits
        return try await ServiceContext.withValue(context) { try await operation() }
    }
}
