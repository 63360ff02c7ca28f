import CircuitBreakerInternals
import PrometheusClientModel

extension SeriesLayout {
    /// The labels after `breaker` of each slot as protobuf `label` fields of a `Metric`, encoded once for every
    /// breaker (the `breaker` pair itself is each breaker's ``BreakerSeries/protobufBreakerLabel``).
    static let protobufLabels: [[UInt8]] = slots.map { slot in
        slot.labels.flatMap { ProtobufLabels.labelPairField($0.0, $0.1) }
    }

    /// The bytes of ``protobufLabels`` over each family's slots, by `BreakerFamily.rawValue`.
    static let protobufLabelBytes: [Int] = familySlots.map { slots in
        slots.reduce(0) { $0 + protobufLabels[$1].count }
    }
}

extension BreakerFamily {
    /// The fields of each family's `MetricFamily` before its metrics: name (a counter's with `_total`), help,
    /// type, and the unit where the name ends with it.
    static let protobufHeaders: [[UInt8]] = allCases.map { family in
        let contract = family.contract
        var header: [UInt8] = []
        header.appendBytesField(1, contract.name.utf8)
        header.appendBytesField(2, contract.help.utf8)
        header.appendVarintField(3, UInt64(family.metricType.rawValue))
        if let unit = contract.openMetricsUnit { header.appendBytesField(5, unit.utf8) }
        return header
    }

    /// The protobuf type of the family.
    var metricType: Io_Prometheus_Client_MetricType {
        switch contract.kind {
        case .counter: .counter
        case .gauge: .gauge
        case .histogram: .histogram
        }
    }
}
