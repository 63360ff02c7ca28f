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

        /// Creates a configuration; every parameter has the documented default.
        public init(
            recordsDurations: Bool = false,
            durationBuckets: [Duration] = Configuration.defaultDurationBuckets,
            maximumBreakers: Int = 1_000
        ) {
            self.recordsDurations = recordsDurations
            self.durationBuckets = durationBuckets
            self.maximumBreakers = maximumBreakers
        }

        /// No durations, the default buckets, at most 1,000 breakers.
        public static let `default` = Configuration()

        /// The buckets of the Prometheus client libraries: 5 ms, 10 ms, 25 ms, 50 ms, 100 ms, 250 ms, 500 ms, 1 s,
        /// 2.5 s, 5 s and 10 s.
        public static let defaultDurationBuckets: [Duration] = [
            .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
            .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2_500), .seconds(5), .seconds(10),
        ]

        /// The bucket bounds in nanoseconds: sorted, unique, positive.
        var normalizedBounds: [Int64] {
            Array(Set(durationBuckets.map(\.nanoseconds).filter { $0 > 0 })).sorted()
        }
    }
}
