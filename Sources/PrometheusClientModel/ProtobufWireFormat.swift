import SwiftProtobuf

/// The few protobuf wire-format primitives that the Prometheus monitor hand-encodes the breakers' families with:
/// varints, fixed 64-bit doubles, and length-delimited fields whose length is patched in after their body is
/// written; and the delimited stream of `MetricFamily` messages, read and written through swift-protobuf.
///
/// Why by hand: the breakers' families are a small fixed schema with the labels of each series known at bind time,
/// so a series is a copy of its pre-encoded labels and a value, where building swift-protobuf messages for 40,000
/// series costs an allocation or more per series (the benchmarks compare both).
package enum ProtobufWireType: UInt64 {
    case varint = 0
    case fixed64 = 1
    case lengthDelimited = 2
}

extension [UInt8] {
    /// Appends `value` as a base-128 varint.
    @inline(__always)
    package mutating func appendVarint(_ value: UInt64) {
        var remaining = value
        while remaining >= 0x80 {
            append(UInt8(truncatingIfNeeded: remaining) | 0x80)
            remaining &>>= 7
        }
        append(UInt8(truncatingIfNeeded: remaining))
    }

    /// Appends a field's key: its number and wire type.
    @inline(__always)
    package mutating func appendKey(_ field: UInt64, _ type: ProtobufWireType) {
        appendVarint(field &<< 3 | type.rawValue)
    }

    /// Appends a `double` field (omitted by proto3 when 0, which readers take as 0).
    @inline(__always)
    package mutating func appendDoubleField(_ field: UInt64, _ value: Double) {
        appendKey(field, .fixed64)
        Swift.withUnsafeBytes(of: value.bitPattern.littleEndian) { append(contentsOf: $0) }
    }

    /// Appends a `uint64`, `int64` or enum field.
    @inline(__always)
    package mutating func appendVarintField(_ field: UInt64, _ value: UInt64) {
        appendKey(field, .varint)
        appendVarint(value)
    }

    /// Appends a `string` or `bytes` field.
    package mutating func appendBytesField(_ field: UInt64, _ bytes: some Collection<UInt8>) {
        appendKey(field, .lengthDelimited)
        appendVarint(UInt64(bytes.count))
        append(contentsOf: bytes)
    }

    /// Starts a length-delimited field (`field`) or, without a field, a length-delimited message of a delimited
    /// stream: appends the key and one byte for the length, and returns where the length goes. Write the body, then
    /// call ``endLengthDelimited(_:)``.
    @inline(__always)
    package mutating func beginLengthDelimited(_ field: UInt64?) -> Int {
        if let field { appendKey(field, .lengthDelimited) }
        append(0)
        return count &- 1
    }

    /// Writes the length of the body appended since ``beginLengthDelimited(_:)`` returned `lengthIndex`; a length
    /// of 128 or more needs more than the one byte reserved, and moves the body up by the extra bytes.
    @inline(__always)
    package mutating func endLengthDelimited(_ lengthIndex: Int) {
        let length = count &- lengthIndex &- 1
        if length < 0x80 {
            self[lengthIndex] = UInt8(truncatingIfNeeded: length)
            return
        }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 10) { varint in
            guard let base = varint.baseAddress else { return }
            let count = UInt64.writeVarint(UInt64(length), to: base)
            replaceSubrange(lengthIndex..<(lengthIndex &+ 1), with: UnsafeBufferPointer(start: base, count: count))
        }
    }
}

extension UInt64 {
    /// Writes `value` as a varint at `destination` (room for 10 bytes); returns the bytes written.
    @inline(__always)
    package static func writeVarint(_ value: UInt64, to destination: UnsafeMutablePointer<UInt8>) -> Int {
        var remaining = value
        var count = 0
        while remaining >= 0x80 {
            destination[count] = UInt8(truncatingIfNeeded: remaining) | 0x80
            remaining &>>= 7
            count &+= 1
        }
        destination[count] = UInt8(truncatingIfNeeded: remaining)
        return count &+ 1
    }

    /// The bytes `value` takes as a varint.
    package static func varintLength(_ value: UInt64) -> Int {
        var length = 1
        var remaining = value
        while remaining >= 0x80 {
            remaining &>>= 7
            length &+= 1
        }
        return length
    }

    /// The zigzag encoding of a signed value (`sint32`, `sint64`): small magnitudes give small varints.
    package init(zigzag value: Int64) {
        self = UInt64(bitPattern: (value &<< 1) ^ (value &>> 63))
    }
}

extension Message {
    /// Appends the message as one element of a delimited stream: its length as a varint, then its bytes.
    package func appendDelimited(to buffer: inout [UInt8]) throws {
        let bytes: [UInt8] = try serializedBytes()
        buffer.appendVarint(UInt64(bytes.count))
        buffer.append(contentsOf: bytes)
    }
}

extension Io_Prometheus_Client_MetricFamily {
    /// The messages of a delimited stream (a protobuf exposition): each a varint length, then that many bytes.
    package static func decodeDelimited(_ stream: [UInt8]) throws -> [Io_Prometheus_Client_MetricFamily] {
        var families: [Io_Prometheus_Client_MetricFamily] = []
        var index = 0
        while index < stream.count {
            var length = 0
            var shift = 0
            while true {
                guard index < stream.count, shift < 63 else { throw BinaryDecodingError.truncated }
                let byte = stream[index]
                index += 1
                length |= Int(byte & 0x7F) << shift
                shift += 7
                if byte < 0x80 { break }
            }
            guard length <= stream.count - index else { throw BinaryDecodingError.truncated }
            families.append(
                try Io_Prometheus_Client_MetricFamily(serializedBytes: Array(stream[index..<(index + length)]))
            )
            index += length
        }
        return families
    }
}
