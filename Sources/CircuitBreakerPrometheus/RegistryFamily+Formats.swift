import CircuitBreakerInternals
import PrometheusClientModel
import SwiftProtobuf

extension RegistryFamily {
    /// The family in OpenMetrics 1.0: a counter declared without `_total` and its samples with it (added where
    /// the registered name lacks it, as client_golang does), `unknown` for an untyped family, help and label values
    /// escaped as OpenMetrics requires, values as ``NumberFormatting`` writes them (`+Inf`, `NaN`).
    func appendOpenMetrics(into buffer: inout [UInt8]) {
        let familyName = kind == .counter ? OpenMetricsText.counterFamilyName(name) : name
        let type = kind == .untyped ? "unknown" : kind.rawValue
        buffer.appendOpenMetricsDescriptor(name: familyName, type: type, unit: nil, help: help)
        for sample in samples {
            if kind == .counter {
                buffer.append(contentsOf: familyName.utf8)
                buffer.append(contentsOf: "_total".utf8)
            } else {
                buffer.append(contentsOf: sample.name.utf8)
            }
            if !sample.labels.isEmpty {
                buffer.append(UInt8(ascii: "{"))
                for (index, label) in sample.labels.enumerated() {
                    if index > 0 { buffer.append(UInt8(ascii: ",")) }
                    buffer.appendLabel(String(label.name), label.value)
                }
                buffer.append(UInt8(ascii: "}"))
            }
            buffer.append(UInt8(ascii: " "))
            buffer.appendDouble(sample.value)
            buffer.append(UInt8(ascii: "\n"))
        }
    }

    /// The family as a protobuf `MetricFamily`, its name as the text format has it. A histogram's samples are
    /// grouped into one `Histogram` per label set (without `le`); a summary's into one `Summary`.
    var protobufMessage: Io_Prometheus_Client_MetricFamily {
        var family = Io_Prometheus_Client_MetricFamily()
        family.name = String(name)
        if let help { family.help = String(decoding: help, as: UTF8.self) }
        /// One metric per sample, its value set by `set`.
        func simple(_ set: (inout Io_Prometheus_Client_Metric, Double) -> Void) -> [Io_Prometheus_Client_Metric] {
            samples.map { sample in
                var metric = Self.metric(labels: sample.labels)
                set(&metric, sample.value)
                return metric
            }
        }
        switch kind {
        case .counter:
            family.type = .counter
            family.metric = simple { $0.counter.value = $1 }
        case .gauge:
            family.type = .gauge
            family.metric = simple { $0.gauge.value = $1 }
        case .untyped:
            family.type = .untyped
            family.metric = simple { $0.untyped.value = $1 }
        case .histogram:
            family.type = .histogram
            family.metric = groupedMetrics(without: "le") { metric, suffix, sample in
                switch suffix {
                case "_bucket":
                    guard let bound = sample.number(labelled: "le") else { return }
                    var bucket = Io_Prometheus_Client_Bucket()
                    bucket.upperBound = bound
                    bucket.cumulativeCount = UInt64(clampingCount: sample.value)
                    metric.histogram.bucket.append(bucket)
                case "_sum": metric.histogram.sampleSum = sample.value
                case "_count": metric.histogram.sampleCount = UInt64(clampingCount: sample.value)
                default: break
                }
            }
        case .summary:
            family.type = .summary
            family.metric = groupedMetrics(without: "quantile") { metric, suffix, sample in
                switch suffix {
                case "":
                    guard let quantile = sample.number(labelled: "quantile") else { return }
                    var entry = Io_Prometheus_Client_Quantile()
                    entry.quantile = quantile
                    entry.value = sample.value
                    metric.summary.quantile.append(entry)
                case "_sum": metric.summary.sampleSum = sample.value
                case "_count": metric.summary.sampleCount = UInt64(clampingCount: sample.value)
                default: break
                }
            }
        }
        return family
    }

    /// One metric per label set (`label` aside), in order of first appearance, filled by `add` with each sample
    /// and the suffix of its name.
    private func groupedMetrics(
        without label: Substring,
        _ add: (inout Io_Prometheus_Client_Metric, Substring, Sample) -> Void
    ) -> [Io_Prometheus_Client_Metric] {
        var metrics: [Io_Prometheus_Client_Metric] = []
        var indexByLabels: [[String]: Int] = [:]
        for sample in samples {
            let labels = sample.labels.filter { $0.name != label }
            let key = labels.flatMap { [String($0.name), $0.value] }
            let index =
                indexByLabels[key]
                ?? {
                    metrics.append(Self.metric(labels: labels))
                    indexByLabels[key] = metrics.count - 1
                    return metrics.count - 1
                }()
            add(&metrics[index], sample.name.dropFirst(name.count), sample)
        }
        return metrics
    }

    private static func metric(labels: [(name: Substring, value: String)]) -> Io_Prometheus_Client_Metric {
        var metric = Io_Prometheus_Client_Metric()
        metric.label = labels.map { label in
            var pair = Io_Prometheus_Client_LabelPair()
            pair.name = String(label.name)
            pair.value = label.value
            return pair
        }
        return metric
    }
}

extension RegistryFamily.Sample {
    /// The number that label `name` holds (`le`, `quantile`), if it has that label and it is a number.
    func number(labelled name: Substring) -> Double? {
        labels.first { $0.name == name }.flatMap { RegistryExpositionParser.parseValue(Substring($0.value)) }
    }
}

extension UInt64 {
    /// A count read from the text format: a whole, non-negative number; anything else (NaN, negative, past 2⁶⁴)
    /// clamped rather than trapping.
    init(clampingCount value: Double) {
        if value.isNaN || value <= 0 {
            self = 0
        } else if value >= 0x1p64 {
            self = .max
        } else {
            self = UInt64(value)
        }
    }
}
