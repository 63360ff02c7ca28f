import Instrumentation

/// How one monitor records call durations, shared by every breaker it binds: the histogram kind, the text of its
/// buckets, the bounds that choose an exemplar's slot, and where trace ids come from.
final class DurationRecording: Sendable {
    /// Whether the histogram is native (``NativeDurationHistograms``) rather than classic (``DurationHistograms``).
    let isNative: Bool
    /// The classic bounds in nanoseconds (ascending, without `+Inf`): the buckets of a classic histogram, and the
    /// exemplar slots of either kind.
    let bounds: [Int64]
    /// The `le` labels the text formats write: every bound and `+Inf` for a classic histogram, `+Inf` alone for a
    /// native one (whose buckets the text formats cannot express).
    let textBuckets: DurationBucketLabels
    /// The classic bounds in seconds, for the protobuf buckets.
    let upperBounds: [Double]
    /// The trace id of a context, when exemplars are kept.
    let traceIDs: (@Sendable (ServiceContext) -> String?)?

    init(configuration: PrometheusMonitor.Configuration) {
        isNative = configuration.durationHistogram.isNative
        bounds = configuration.normalizedBounds
        textBuckets = DurationBucketLabels(bounds: isNative ? [] : bounds)
        upperBounds = bounds.map { Double($0) / 1e9 }
        traceIDs = configuration.exemplarTraceIDs.extract
    }

    /// The exemplar slot of a duration: the classic bucket it falls in (the last one is `+Inf`).
    func slot(nanoseconds: Int64) -> Int {
        var slot = 0
        while slot < bounds.count && nanoseconds > bounds[slot] { slot &+= 1 }
        return slot
    }
}
