/// The `le` label values of one monitor's duration buckets, each followed by `"} `, in one byte buffer shared by
/// every breaker of the monitor: what follows `…_bucket{breaker="…",outcome="…",le="` in a bucket sample.
final class DurationBucketLabels: Sendable {
    /// The bounds in nanoseconds, ascending, without `+Inf`.
    let bounds: [Int64]
    /// `0.005"} 0.01"} … +Inf"} `.
    let text: [UInt8]
    /// Where each bucket's label ends in ``text`` (the `+Inf` bucket last); bucket `b` starts where `b - 1` ends.
    let ends: [Int]

    /// Renders the labels of `bounds` (nanoseconds, ascending) as the seconds' `Double` description, the form
    /// these series have always had (`le="1.0"`, not `le="1"`: a different label value to Prometheus).
    init(bounds: [Int64]) {
        self.bounds = bounds
        var text: [UInt8] = []
        var ends: [Int] = []
        for bound in bounds {
            text.append(contentsOf: String(describing: Double(bound) / 1e9).utf8)
            text.append(contentsOf: #""} "#.utf8)
            ends.append(text.count)
        }
        text.append(contentsOf: #"+Inf"} "#.utf8)
        ends.append(text.count)
        self.text = text
        self.ends = ends
    }

    /// Buckets, `+Inf` included.
    var count: Int { ends.count }
}
