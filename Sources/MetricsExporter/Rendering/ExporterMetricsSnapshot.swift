/// The server's own metrics at one moment, in no particular exposition format: the seam through which an encoder
/// that is not part of the exporter (the protobuf encoder of a ``ProtobufExpositionSource``) writes them.
///
/// Families are in the order the text formats list them. A counter family's ``Family/name`` has no `_total`
/// suffix (as OpenMetrics declares it); its samples, and the protobuf `MetricFamily` name as client_golang writes
/// it, carry the suffix.
public struct ExporterMetricsSnapshot: Sendable {
    /// The type of a family. A struct over a private enum, so types can be added without breaking anyone.
    public struct MetricType: Hashable, Sendable, CustomStringConvertible {
        private enum Kind: Hashable, Sendable {
            case counter
            case gauge
            case histogram
        }

        private let kind: Kind

        private init(_ kind: Kind) {
            self.kind = kind
        }

        /// A monotonically increasing count.
        public static let counter = MetricType(.counter)
        /// A value that goes up and down.
        public static let gauge = MetricType(.gauge)
        /// Cumulative buckets, a count and a sum.
        public static let histogram = MetricType(.histogram)

        /// `counter`, `gauge` or `histogram`, as the text formats spell it.
        public var description: String {
            switch self.kind {
            case .counter: "counter"
            case .gauge: "gauge"
            case .histogram: "histogram"
            }
        }
    }

    /// A label name and value.
    public struct Label: Hashable, Sendable {
        /// The label name.
        public let name: String
        /// The label value, unescaped.
        public let value: String
    }

    /// A histogram's state.
    public struct Histogram: Hashable, Sendable {
        /// Upper bounds (ascending, `+Inf` last) and the cumulative count of observations up to each.
        public let buckets: [(upperBound: Double, cumulativeCount: UInt64)]
        /// The number of observations.
        public let count: UInt64
        /// The sum of the observations.
        public let sum: Double

        /// Compares bounds, counts and sum.
        public static func == (lhs: Histogram, rhs: Histogram) -> Bool {
            lhs.count == rhs.count && lhs.sum == rhs.sum
                && lhs.buckets.elementsEqual(rhs.buckets) { $0 == $1 }
        }

        /// Hashes the count and the sum.
        public func hash(into hasher: inout Hasher) {
            hasher.combine(self.count)
            hasher.combine(self.sum)
        }
    }

    /// One series of a family.
    public struct Metric: Hashable, Sendable {
        /// The series' labels.
        public let labels: [Label]
        /// The value of a counter or gauge (0 for a histogram).
        public let value: Double
        /// The histogram, for a histogram family.
        public let histogram: Histogram?
    }

    /// A metric family.
    public struct Family: Hashable, Sendable {
        /// The family name (counters without `_total`).
        public let name: String
        /// The help text.
        public let help: String
        /// The unit (`seconds`), or `nil`.
        public let unit: String?
        /// The type.
        public let type: MetricType
        /// The series.
        public let metrics: [Metric]
    }

    /// The families.
    public let families: [Family]
}
