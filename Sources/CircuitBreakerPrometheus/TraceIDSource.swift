public import Instrumentation

extension PrometheusMonitor {
    /// Where the monitor finds the trace id of a call, for the exemplars of the duration histogram.
    ///
    /// When a breaker runs a call inside a task that carries a `ServiceContext` (swift-distributed-tracing), the
    /// monitor asks this source for the context's trace id and keeps it, with the duration and the time, as the
    /// latest exemplar of the call's duration bucket. Outside a traced task the cost is one check: reading the
    /// task-local `ServiceContext.current`, which is nil.
    ///
    /// ```swift
    /// // The default: the trace id your tracer propagates (W3C `traceparent`, B3, …).
    /// .init(recordsDurations: true, exemplarTraceIDs: .propagated)
    /// // Your own context key:
    /// .init(recordsDurations: true, exemplarTraceIDs: .custom("request-id") { $0.requestID })
    /// ```
    public struct TraceIDSource: Sendable, Hashable, CustomStringConvertible {
        /// A name that identifies the source; sources are equal when their names are.
        public let name: String
        let extract: (@Sendable (ServiceContext) -> String?)?

        /// The trace id that the process's instrument (`InstrumentationSystem.instrument`, your tracer) propagates
        /// for the context: the trace-id part of a W3C `traceparent` header, or the value of a header whose name
        /// ends in `trace-id`, `traceid` or `trace_id` (B3's `X-B3-TraceId`, the in-memory tracer's). Nil when the
        /// tracer propagates none (a no-op tracer).
        public static let propagated = TraceIDSource(name: "propagated", extract: PropagatedTraceID.extract)

        /// No exemplars: the monitor never reads the `ServiceContext`.
        public static let none = TraceIDSource(name: "none", extract: nil)

        /// A source of your own: `extract` returns the trace id of a context, or nil. Ids longer than 32 bytes are
        /// not kept. `name` identifies the source (two sources with one name are equal).
        public static func custom(
            _ name: String,
            _ extract: @escaping @Sendable (ServiceContext) -> String?
        ) -> TraceIDSource {
            TraceIDSource(name: name, extract: extract)
        }

        /// The name.
        public var description: String { name }

        /// Sources are equal when their names are.
        public static func == (lhs: TraceIDSource, rhs: TraceIDSource) -> Bool {
            lhs.name == rhs.name
        }

        /// Hashes the name.
        public func hash(into hasher: inout Hasher) {
            hasher.combine(name)
        }
    }
}

/// The default trace-id source: asks the instrument to inject the context into a carrier that keeps only the trace
/// id.
enum PropagatedTraceID {
    struct Carrier: Sendable {
        var traceID: String?
    }

    struct TraceIDInjector: Injector {
        func inject(_ value: String, forKey key: String, into carrier: inout Carrier) {
            if key.utf8.elementsEqual("traceparent".utf8) || key.lowercased() == "traceparent" {
                // version-traceid-parentid-flags: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01
                let parts = value.split(separator: "-", omittingEmptySubsequences: false)
                if parts.count >= 4, parts[1].utf8.count == 32 { carrier.traceID = String(parts[1]) }
                return
            }
            guard carrier.traceID == nil, !value.isEmpty else { return }
            let lowered = key.lowercased()
            if lowered.hasSuffix("trace-id") || lowered.hasSuffix("traceid") || lowered.hasSuffix("trace_id") {
                carrier.traceID = value
            }
        }
    }

    @Sendable
    static func extract(_ context: ServiceContext) -> String? {
        var carrier = Carrier()
        InstrumentationSystem.instrument.inject(context, into: &carrier, using: TraceIDInjector())
        return carrier.traceID
    }
}
