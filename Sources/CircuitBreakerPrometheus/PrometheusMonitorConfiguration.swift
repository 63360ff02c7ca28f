import CircuitBreakerInternals
extension PrometheusMonitor {
    /// How a ``PrometheusMonitor`` records.
    ///
    /// ```swift
    /// let monitor = PrometheusMonitor(
    ///     registry: registry,
    ///     configuration: .init(recordsDurations: true, durationBuckets: [.milliseconds(10), .milliseconds(100), .seconds(1)])
    /// )
    /// ```
    public struct Configuration: Sendable, Hashable {
        /// Whether to record `circuit_breaker_call_duration_seconds`. Measuring a call costs the breaker two reads
        /// of a precise clock, so it is off by default; turning it on makes the monitor ask breakers for durations
        /// (``/CircuitBreaker/BreakerMonitor/wantsDurations``).
        public var recordsDurations: Bool
        /// Upper bounds of the duration histogram's buckets (`+Inf` is implicit). They are sorted, deduplicated,
        /// and bounds of zero or less dropped.
        public var durationBuckets: [Duration]
        /// The most breakers whose series the Prometheus registry may hold (counting every monitor on that
        /// registry). Past it, ``PrometheusMonitor/bind(to:)`` throws ``PrometheusMonitorError/Code/tooManyBreakers``
        /// and `circuit_breaker_registrations_rejected_total` counts the refusal, which keeps the number of series
        /// bounded when breaker names come from data (tenants, hosts).
        public var maximumBreakers: Int
        /// Whether the duration histogram is classic (the ``durationBuckets``) or a Prometheus native histogram,
        /// which Prometheus gets over the protobuf exposition (see ``HistogramKind``).
        public var durationHistogram: HistogramKind
        /// Where the trace id of an exemplar comes from: the duration histogram keeps the latest traced call of
        /// each bucket as an exemplar (``TraceIDSource/propagated`` by default; ``TraceIDSource/none`` for none).
        public var exemplarTraceIDs: TraceIDSource
        /// Whether each key of a ``/CircuitBreaker/BreakerGroup`` also gets its own duration histograms,
        /// `circuit_breaker_key_call_duration_seconds` (with ``recordsDurations``; classic or native as
        /// ``durationHistogram`` says, without exemplars). Off by default: a group's durations are recorded once
        /// for all its keys, under the group's name, since `4 × (buckets + 3)` series per key (56 with the default
        /// buckets) would multiply a group's series fivefold.
        public var perKeyDurationHistograms: Bool

        /// Creates a configuration; every parameter has the documented default.
        public init(
            recordsDurations: Bool = false,
            durationBuckets: [Duration] = Configuration.defaultDurationBuckets,
            maximumBreakers: Int = 1_000,
            durationHistogram: HistogramKind = .classic,
            exemplarTraceIDs: TraceIDSource = .propagated,
            perKeyDurationHistograms: Bool = false
        ) {
            self.recordsDurations = recordsDurations
            self.durationBuckets = durationBuckets
            self.maximumBreakers = maximumBreakers
            self.durationHistogram = durationHistogram
            self.exemplarTraceIDs = exemplarTraceIDs
            self.perKeyDurationHistograms = perKeyDurationHistograms
        }

        /// No durations, the default buckets, at most 1,000 breakers.
        public static let `default` = Configuration()

        /// The buckets of the Prometheus client libraries: 5 ms, 10 ms, 25 ms, 50 ms, 100 ms, 250 ms, 500 ms, 1 s,
        /// 2.5 s, 5 s and 10 s.
        public static let defaultDurationBuckets: [Duration] = [
            .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
            .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2_500), .seconds(5), .seconds(10),
        ]

        /// The kind of duration histogram. New kinds may be added without breaking the API.
        public struct HistogramKind: Sendable, Hashable, CustomStringConvertible {
            private enum Backing: Hashable, Sendable {
                case classic
                case native
            }

            private let backing: Backing

            /// Buckets with the fixed upper bounds of ``Configuration-swift.struct/durationBuckets``, in every
            /// exposition format: `4 × (buckets + 3)` samples per breaker.
            public static let classic = HistogramKind(backing: .classic)

            /// A Prometheus native histogram: exponential buckets of schema 2 (each bucket 2^(1/4) ≈ 1.19 times as
            /// wide as the one below it, so quantiles are within that factor) from 61 µs to 512 s, with memory
            /// bounded per breaker. The protobuf exposition carries it whole; the text formats, which cannot
            /// express it, show its `_count` and `_sum` (and the `+Inf` bucket) under the same name.
            public static let native = HistogramKind(backing: .native)

            /// `classic` or `native`.
            public var description: String {
                switch backing {
                case .classic: "classic"
                case .native: "native"
                }
            }

            var isNative: Bool { backing == .native }
        }

        /// The bucket bounds in nanoseconds: sorted, unique, positive.
        var normalizedBounds: [Int64] {
            Array(Set(durationBuckets.map(\.nanoseconds).filter { $0 > 0 })).sorted()
        }
    }
}
