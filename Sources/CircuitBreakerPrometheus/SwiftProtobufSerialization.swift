import PrometheusClientModel
import SwiftProtobuf

/// Serialising a protobuf exposition through swift-protobuf's messages, for the benchmark that justifies
/// hand-encoding the breakers' families (``BreakerSeries/encode(_:of:into:)``): not API.
///
/// It decodes an exposition into `MetricFamily` messages once, and ``serialize(into:)`` writes them back as a
/// delimited stream, which is the least the message path costs (building the messages from the breakers' atomics
/// would come on top).
@_spi(Benchmarks)
public struct SwiftProtobufSerialization: Sendable {
    private let families: [Io_Prometheus_Client_MetricFamily]

    /// Decodes the delimited `MetricFamily` messages of `exposition`; throws if it is not one.
    public init(decoding exposition: [UInt8]) throws {
        families = try Io_Prometheus_Client_MetricFamily.decodeDelimited(exposition)
    }

    /// The number of families decoded.
    public var familyCount: Int { families.count }

    /// Appends the families as delimited messages serialised by swift-protobuf.
    public func serialize(into buffer: inout [UInt8]) throws {
        for family in families { try family.appendDelimited(to: &buffer) }
    }
}
