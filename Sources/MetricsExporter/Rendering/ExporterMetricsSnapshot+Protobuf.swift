import PrometheusClientModel

extension ExporterMetricsSnapshot {
    /// Appends the server's own metrics as delimited protobuf `io.prometheus.client.MetricFamily` messages, after
    /// the source's families. A counter family is named with `_total`, as its text samples are.
    func appendProtobuf(to buffer: inout [UInt8]) {
        for family in families {
            // Serialising these messages cannot fail: they have no required fields and no extensions.
            try? family.protobufMessage.appendDelimited(to: &buffer)
        }
    }
}

extension ExporterMetricsSnapshot.Family {
    var protobufMessage: Io_Prometheus_Client_MetricFamily {
        var message = Io_Prometheus_Client_MetricFamily()
        message.name = type == .counter ? name + "_total" : name
        message.help = help
        if let unit { message.unit = unit }
        message.type =
            switch type {
            case .counter: .counter
            case .gauge: .gauge
            case .histogram: .histogram
            default: .untyped
            }
        message.metric = metrics.map { metric in
            var encoded = Io_Prometheus_Client_Metric()
            encoded.label = metric.labels.map { label in
                var pair = Io_Prometheus_Client_LabelPair()
                pair.name = label.name
                pair.value = label.value
                return pair
            }
            switch message.type {
            case .counter: encoded.counter.value = metric.value
            case .gauge: encoded.gauge.value = metric.value
            case .untyped: encoded.untyped.value = metric.value
            default: break
            }
            if let histogram = metric.histogram {
                encoded.histogram.sampleCount = histogram.count
                encoded.histogram.sampleSum = histogram.sum
                encoded.histogram.bucket = histogram.buckets.map { bucket in
                    var encodedBucket = Io_Prometheus_Client_Bucket()
                    encodedBucket.upperBound = bucket.upperBound
                    encodedBucket.cumulativeCount = bucket.cumulativeCount
                    return encodedBucket
                }
            }
            return encoded
        }
        return message
    }
}
