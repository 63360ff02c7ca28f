import Testing

@testable import CircuitBreakerPrometheus

@Suite struct DurationHistogramsTests {
    @Test func bucketsAreUpperInclusiveWithAnOverflowBucket() {
        let histograms = DurationHistograms(bounds: [10, 100])
        histograms.record(.nanoseconds(10), outcome: .success)
        histograms.record(.nanoseconds(11), outcome: .success)
        histograms.record(.nanoseconds(100), outcome: .success)
        histograms.record(.nanoseconds(101), outcome: .success)
        histograms.record(.seconds(-1), outcome: .success)  // clamped to 0
        histograms.record(.nanoseconds(5), outcome: .timeout)
        #expect(histograms.bucketCount == 3)
        #expect(histograms.count(.success, bucket: 0) == 2)
        #expect(histograms.count(.success, bucket: 1) == 2)
        #expect(histograms.count(.success, bucket: 2) == 1)
        #expect(histograms.sumNanoseconds(.success) == 222)
        #expect(histograms.count(.timeout, bucket: 0) == 1)
        #expect(histograms.count(.failure, bucket: 0) == 0)
        #expect(histograms.sumNanoseconds(.ignored) == 0)
    }

    @Test func concurrentRecordingLosesNothing() async {
        let histograms = DurationHistograms(bounds: [1_000, 1_000_000])
        await withTaskGroup(of: Void.self) { group in
            for task in 0..<8 {
                group.addTask {
                    for index in 0..<10_000 {
                        histograms.record(.nanoseconds(Int64((index * 7 + task) % 2_000_000)), outcome: .failure)
                    }
                }
            }
        }
        let total = (0..<histograms.bucketCount).reduce(Int64(0)) { $0 + histograms.count(.failure, bucket: $1) }
        #expect(total == 80_000)
        var expectedSum: Int64 = 0
        for task in 0..<8 { for index in 0..<10_000 { expectedSum += Int64((index * 7 + task) % 2_000_000) } }
        #expect(histograms.sumNanoseconds(.failure) == expectedSum)
    }

    @Test func configurationNormalizesBuckets() {
        let configuration = PrometheusMonitor.Configuration(
            durationBuckets: [.seconds(1), .milliseconds(5), .seconds(1), .zero, .seconds(-2)]
        )
        #expect(configuration.normalizedBounds == [5_000_000, 1_000_000_000])
    }
}
