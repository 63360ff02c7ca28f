/// The server's own metrics at one moment, in no particular exposition format, for the protobuf encoder (the text
/// formats render from the declarations directly). Internal: the server appends its own metrics to every format
/// by itself, so no source can forget them.
///
/// Families are in the order the text formats list them. A counter family's ``Family/name`` has no `_total`
/// suffix (as OpenMetrics declares it); its samples, and the protobuf `MetricFamily` name as client_golang writes
/// it, carry the suffix.
struct ExporterMetricsSnapshot: Sendable {
    /// The type of a family. A struct over a private enum, so types can be added without breaking anyone.
    struct MetricType: Hashable, Sendable, CustomStringConvertible {
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
        static let counter = MetricType(.counter)
        /// A value that goes up and down.
        static let gauge = MetricType(.gauge)
        /// Cumulative buckets, a count and a sum.
        static let histogram = MetricType(.histogram)

        /// `counter`, `gauge` or `histogram`, as the text formats spell it.
        var description: String {
            switch self.kind {
            case .counter: "counter"
            case .gauge: "gauge"
            case .histogram: "histogram"
            }
        }
    }

    /// A label name and value.
    struct Label: Hashable, Sendable {
        /// The label name.
        let name: String
        /// The label value, unescaped.
        let value: String
    }

    /// A histogram's state.
    struct Histogram: Hashable, Sendable {
        /// Upper bounds (ascending, `+Inf` last) and the cumulative count of observations up to each.
        let buckets: [(upperBound: Double, cumulativeCount: UInt64)]
        /// The number of observations.
        let count: UInt64
        /// The sum of the observations.
        let sum: Double

        /// Compares bounds, counts and sum.
        static func == (lhs: Histogram, rhs: Histogram) -> Bool {
            lhs.count == rhs.count && lhs.sum == rhs.sum
                && lhs.buckets.elementsEqual(rhs.buckets) { $0 == $1 }
        }

        /// Hashes the count and the sum.
        func hash(into hasher: inout Hasher) {
            hasher.combine(self.count)
            hasher.combine(self.sum)
        }
    }

    /// One series of a family.
    struct Metric: Hashable, Sendable {
        /// The series' labels.
        let labels: [Label]
        /// The value of a counter or gauge (0 for a histogram).
        let value: Double
        /// The histogram, for a histogram family.
        let histogram: Histogram?
    }

    /// A metric family.
    struct Family: Hashable, Sendable {
        /// The family name (counters without `_total`).
        let name: String
        /// The help text.
        let help: String
        /// The unit (`seconds`), or `nil`.
        let unit: String?
        /// The type.
        let type: MetricType
        /// The series.
        let metrics: [Metric]
    }

    /// The families.
    let families: [Family]
}
