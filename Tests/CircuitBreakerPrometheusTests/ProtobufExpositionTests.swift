import CircuitBreaker
import CircuitBreakerInternals
import PrometheusClientModel
import SwiftProtobuf
import Foundation
import Testing

@testable import CircuitBreakerPrometheus

/// The protobuf exposition, decoded with swift-protobuf (the breakers' families are hand-encoded), holds exactly the
/// series and values of the text exposition; native histograms decode to the durations recorded.
@Suite struct ProtobufExpositionTests {
    /// The delimited `MetricFamily` messages of `bytes`, decoded by swift-protobuf.
    static func decode(_ bytes: [UInt8]) throws -> [Io_Prometheus_Client_MetricFamily] {
        try Io_Prometheus_Client_MetricFamily.decodeDelimited(bytes)
    }

    /// Every sample the protobuf families hold, keyed as the text format writes them (`name{labels}`), a classic
    /// histogram's buckets cumulative under `_bucket` with `le` as swift's description of the bound.
    static func samples(of families: [Io_Prometheus_Client_MetricFamily]) -> [String: Double] {
        var samples: [String: Double] = [:]
        func key(_ name: String, _ labels: [Io_Prometheus_Client_LabelPair], le: String? = nil) -> String {
            var text: [UInt8] = Array(name.utf8)
            var pairs = labels.map { ($0.name, $0.value) }
            if let le { pairs.append(("le", le)) }
            guard !pairs.isEmpty else { return name }
            text.append(UInt8(ascii: "{"))
            for (index, pair) in pairs.enumerated() {
                if index > 0 { text.append(UInt8(ascii: ",")) }
                text.appendLabel(pair.0, pair.1)
            }
            text.append(UInt8(ascii: "}"))
            return String(decoding: text, as: UTF8.self)
        }
        for family in families {
            for metric in family.metric {
                switch family.type {
                case .counter: samples[key(family.name, metric.label)] = metric.counter.value
                case .gauge: samples[key(family.name, metric.label)] = metric.gauge.value
                case .histogram:
                    let histogram = metric.histogram
                    for bucket in histogram.bucket where histogram.schema == 0 && histogram.zeroThreshold == 0 {
                        let le = bucket.upperBound.isInfinite ? "+Inf" : String(describing: bucket.upperBound)
                        samples[key(family.name + "_bucket", metric.label, le: le)] = Double(bucket.cumulativeCount)
                    }
                    if histogram.schema == 0 && histogram.zeroThreshold == 0 {
                        samples[key(family.name + "_bucket", metric.label, le: "+Inf")] = Double(histogram.sampleCount)
                    }
                    samples[key(family.name + "_sum", metric.label)] = histogram.sampleSum
                    samples[key(family.name + "_count", metric.label)] = Double(histogram.sampleCount)
                default: break
                }
            }
        }
        return samples
    }

    @Test func classicProtobufHoldsExactlyTheTextSamples() throws {
        let fixture = try ExpositionFixture(histogram: .classic)
        var bytes: [UInt8] = []
        fixture.monitor.emitProtobuf(into: &bytes)
        let families = try Self.decode(bytes)
        let text = ExpositionSamples(fixture.monitor.emitToString())
        let decoded = Self.samples(of: families)
        #expect(Set(decoded.keys) == Set(text.values.keys))
        for (key, value) in text.values {
            #expect(decoded[key] == value, "\(key)")
        }
        #expect(families.count == 18)
        let calls = try #require(families.first { $0.name == "circuit_breaker_calls_total" })
        #expect(calls.type == .counter)
        #expect(calls.help == MetricContract.calls.help)
        let stateSeconds = try #require(families.first { $0.name == "circuit_breaker_state_seconds_total" })
        #expect(stateSeconds.unit == "seconds")
        let requests = try #require(families.first { $0.name == "app_requests_total" })
        #expect(requests.help == #"Requests "served", with a \ backslash."#)
        #expect(requests.metric.first?.label.map(\.value) == [#"/a"b\c"#, "GET\nPOST"])
    }

    @Test func classicBucketsCarryExemplars() throws {
        let fixture = try ExpositionFixture(histogram: .classic, names: ["payments"])
        var bytes: [UInt8] = []
        fixture.monitor.emitProtobuf(into: &bytes)
        let durations = try #require(try Self.decode(bytes).first { $0.name == MetricContract.callDuration.name })
        let success = try #require(durations.metric.first { $0.label.last?.value == "success" })
        let bucket = try #require(success.histogram.bucket.first)
        #expect(bucket.upperBound == 0.005)
        #expect(bucket.exemplar.label.map(\.name) == ["trace_id"])
        #expect(bucket.exemplar.label.first?.value == "4bf92f3577b34da6a3ce929d0e0e4100")
        #expect(bucket.exemplar.value == 0.003)
        #expect(bucket.exemplar.timestamp.seconds == 1_700_000_000)
        #expect(abs(Int(bucket.exemplar.timestamp.nanos) - 253_000_000) < 1_000)
        // No +Inf bucket without an exemplar in it: readers take it from the count.
        #expect(success.histogram.bucket.count == 11)
    }

    @Test func nativeHistogramDecodesToTheRecordedDurations() throws {
        let fixture = try ExpositionFixture(histogram: .native, names: ["payments"])
        let breaker = try #require(fixture.breakers.first)
        let clock = fixture.clock
        breaker.reset()  // the fixture forced it open
        // Besides the fixture's 3 ms and 40 ms successes: 20 µs (zero bucket), 1 s (a bound: its own bucket),
        // 1.1 s, and an hour (past the window: the last bucket).
        for milliseconds in [0.02, 1_000, 1_100, 3_600_000] {
            _ = try breaker.execute { clock.advance(by: .microseconds(Int64(milliseconds * 1_000))) }
        }
        var bytes: [UInt8] = []
        fixture.monitor.emitProtobuf(into: &bytes)
        let durations = try #require(try Self.decode(bytes).first { $0.name == MetricContract.callDuration.name })
        #expect(durations.metric.count == 4)
        let success = try #require(durations.metric.first { $0.label.last?.value == "success" }).histogram
        #expect(success.schema == 2)
        #expect(success.zeroThreshold == 0x1p-14)
        #expect(success.zeroCount == 1)
        #expect(success.sampleCount == 6)
        #expect(success.sampleSum == 0.003 + 0.04 + 0.00002 + 1 + 1.1 + 3_600)
        // Rebuild the buckets from spans and deltas.
        var buckets: [Int: Int64] = [:]
        var index = 0
        var count: Int64 = 0
        var deltas = success.positiveDelta[...]
        for (position, span) in success.positiveSpan.enumerated() {
            index = position == 0 ? Int(span.offset) : index + Int(span.offset)
            for _ in 0..<span.length {
                count += deltas.popFirst() ?? 0
                if count != 0 { buckets[index] = count }
                index += 1
            }
        }
        #expect(deltas.isEmpty)
        #expect(success.positiveDelta.count == success.positiveSpan.reduce(0) { $0 + Int($1.length) })
        // Bucket i holds (2^((i-1)/4), 2^(i/4)]: 3 ms → -33 (2^-8.25 = 3.29 ms), 40 ms → -18 (2^-4.5 = 44 ms),
        // 1 s → 0, 1.1 s → 1, an hour → 36, the last.
        #expect(buckets == [-33: 1, -18: 1, 0: 1, 1: 1, 36: 1])
        for (index, _) in buckets where index < 36 {
            // Prometheus's table of bounds and pow may differ in the last bit.
            let exact = Foundation.pow(2, Double(index) / 4)
            #expect(abs(NativeDurationHistograms.upperBound(ofIndex: index) - exact) <= exact.ulp)
        }
        // Prometheus 2.x reads a native histogram's exemplar from a classic bucket: the native bucket it falls in.
        let exemplarBucket = try #require(success.bucket.first)
        #expect(exemplarBucket.exemplar.label.first?.value == "4bf92f3577b34da6a3ce929d0e0e4100")
        #expect(exemplarBucket.upperBound == NativeDurationHistograms.upperBound(ofIndex: -33))
        #expect(exemplarBucket.cumulativeCount == 2)  // the zero bucket's 20 µs and the 3 ms
        #expect(success.exemplars.first?.label.first?.value == "4bf92f3577b34da6a3ce929d0e0e4100")
        let empty = try #require(durations.metric.first { $0.label.last?.value == "timeout" }).histogram
        #expect(empty.sampleCount == 0 && empty.positiveSpan.isEmpty && empty.zeroThreshold > 0)
    }

    /// Every fourth bucket populated: the most spans a native histogram can need (gaps of three empty buckets).
    @Test func sparsestNativeHistogramDecodes() throws {
        let monitor = PrometheusMonitor(
            configuration: .init(recordsDurations: true, durationHistogram: .native, exemplarTraceIDs: .none)
        )
        let clock = ManualClock()
        let breaker = try CircuitBreaker(name: "sparse", monitors: [monitor], clock: .manual(clock))
        let indices = Array(stride(from: NativeDurationHistograms.firstIndex, through: 36, by: 4))
        for index in indices {
            // The middle of bucket i, (2^((i-1)/4), 2^(i/4)].
            let seconds = Foundation.pow(2, (Double(index) - 0.5) / 4)
            _ = try breaker.execute { clock.advance(by: .nanoseconds(Int64(seconds * 1e9))) }
        }
        var bytes: [UInt8] = []
        monitor.emitProtobuf(into: &bytes)
        let durations = try #require(try Self.decode(bytes).first { $0.name == MetricContract.callDuration.name })
        let success = try #require(durations.metric.first { $0.label.last?.value == "success" }).histogram
        #expect(success.positiveSpan.count == indices.count)
        var index = 0
        var decoded: [Int] = []
        for (position, span) in success.positiveSpan.enumerated() {
            index = position == 0 ? Int(span.offset) : index + Int(span.offset)
            for _ in 0..<span.length {
                decoded.append(index)
                index += 1
            }
        }
        #expect(decoded == indices)
        #expect(success.positiveDelta.reduce(0, +) == 1)  // counts 1, 1, 1…: deltas 1, 0, 0…
    }
}
