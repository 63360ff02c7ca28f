import Testing

import CircuitBreakerInternals

@Suite struct DurationNanosecondsTests {
    /// The same conversion through `components` only, as the reference.
    func reference(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }

    @Test func fastPathMatchesTheComponentsConversion() {
        var generator = SystemRandomNumberGenerator()
        var durations: [Duration] = [
            .zero, .nanoseconds(1), .nanoseconds(999), .milliseconds(250), .seconds(18), .nanoseconds(18_446_744_073),
            .nanoseconds(18_446_744_074), .seconds(19), .seconds(3600), .nanoseconds(-1), .seconds(-5),
        ]
        for _ in 0..<10_000 {
            durations.append(.nanoseconds(Int64.random(in: -1_000_000_000_000...1_000_000_000_000, using: &generator)))
        }
        for duration in durations {
            #expect(duration.nanoseconds == reference(duration), "\(duration)")
        }
    }
}
