import Foundation
import Testing

@testable import CircuitBreakerPrometheus

@Suite struct NativeDurationHistogramsTests {
    /// The bucket of `seconds` by definition: the smallest i with 2^(i/4) ≥ seconds.
    func definedIndex(_ seconds: Double) -> Int {
        var index = Int((log2(seconds) * 4).rounded(.up)) - 1
        while pow(2, Double(index) / 4) < seconds { index += 1 }
        return index
    }

    @Test func bucketIndexMatchesTheSchemaDefinition() {
        // Durations from 62 µs to 500 s, spread over every bucket and away from the bounds.
        var nanoseconds: Int64 = 62_000
        while nanoseconds < 500_000_000_000 {
            let seconds = Double(nanoseconds) / 1e9
            #expect(NativeDurationHistograms.index(seconds: seconds) == definedIndex(seconds), "\(nanoseconds) ns")
            nanoseconds = nanoseconds * 1_013 / 1_000 + 7
        }
    }

    @Test func boundsBelongToTheBucketTheyClose() {
        for index in -55...36 {
            let bound = NativeDurationHistograms.upperBound(ofIndex: index)
            #expect(NativeDurationHistograms.index(seconds: bound) == index)
            #expect(NativeDurationHistograms.index(seconds: bound.nextUp) == index + 1)
            #expect(abs(bound - pow(2, Double(index) / 4)) <= bound.ulp)
        }
    }

    @Test func zeroBucketOverflowAndSum() {
        let histograms = NativeDurationHistograms()
        histograms.record(.nanoseconds(61_035), outcome: .success)  // at the threshold: zero bucket
        histograms.record(.nanoseconds(61_036), outcome: .success)  // just above: the first bucket
        histograms.record(.seconds(-1), outcome: .success)  // clamped to 0: zero bucket
        histograms.record(.seconds(10_000), outcome: .success)  // past 512 s: the last bucket
        histograms.record(.seconds(1), outcome: .timeout)
        #expect(histograms.zeroCount(.success) == 2)
        #expect(histograms.count(.success, bucket: 0) == 1)
        #expect(histograms.count(.success, bucket: NativeDurationHistograms.bucketCount - 1) == 1)
        #expect(histograms.sumNanoseconds(.success) == 61_035 + 61_036 + 10_000_000_000_000)
        #expect(histograms.count(.timeout, bucket: -NativeDurationHistograms.firstIndex) == 1)  // index 0: (2^-1/4, 1]
        #expect(histograms.zeroCount(.failure) == 0)
    }

    @Test func concurrentRecordingLosesNothing() async {
        let histograms = NativeDurationHistograms()
        await withTaskGroup(of: Void.self) { group in
            for task in 0..<8 {
                group.addTask {
                    for index in 0..<10_000 {
                        histograms.record(.microseconds(Int64((index * 7 + task) % 2_000_000)), outcome: .failure)
                    }
                }
            }
        }
        let cells = NativeDurationHistograms.bucketCount + 1
        let total = withUnsafeTemporaryAllocation(of: Int64.self, capacity: cells) { counts in
            histograms.read(.failure, into: counts)
        }
        #expect(total == 80_000)
    }
}
