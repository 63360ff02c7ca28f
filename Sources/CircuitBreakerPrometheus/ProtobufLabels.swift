import PrometheusClientModel

/// Protobuf encodings of label pairs, the labels of every `Metric`.
enum ProtobufLabels {
    /// `label` (field 1 of `Metric`): a `LabelPair` of `name` and `value`.
    static func labelPairField(_ name: String, _ value: String) -> [UInt8] {
        var pair: [UInt8] = []
        pair.appendBytesField(1, name.utf8)
        pair.appendBytesField(2, value.utf8)
        var field: [UInt8] = []
        field.appendBytesField(1, pair)
        return field
    }
}
