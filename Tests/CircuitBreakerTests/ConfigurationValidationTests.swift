import CircuitBreaker
import Testing

@Suite struct ConfigurationValidationTests {
    typealias Config = CircuitBreaker.Configuration

    static let invalid: [(Config, String, ConfigurationError.Code)] = [
        (Config(trip: .consecutiveFailures(0)), "trip.consecutiveFailures", .notPositive),
        (Config(trip: .consecutiveFailures(-3)), "trip.consecutiveFailures", .notPositive),
        (Config(trip: .failureRatio(0, window: .count(10), minimumCalls: 5)), "trip.failureRatioThreshold", .outOfRange),
        (Config(trip: .failureRatio(1.5, window: .count(10), minimumCalls: 5)), "trip.failureRatioThreshold", .outOfRange),
        (Config(trip: .failureRatio(.nan, window: .count(10), minimumCalls: 5)), "trip.failureRatioThreshold", .outOfRange),
        (Config(trip: .failureRatio(0.5, window: .count(0), minimumCalls: 1)), "trip.window.count", .notPositive),
        (Config(trip: .failureRatio(0.5, window: .count(10), minimumCalls: 0)), "trip.minimumCalls", .notPositive),
        (Config(trip: .failureRatio(0.5, window: .count(10), minimumCalls: 11)), "trip.minimumCalls", .inconsistent),
        (Config(trip: .failureRatio(0.5, window: .time(.zero), minimumCalls: 1)), "trip.window.time", .notPositive),
        (Config(trip: .failureRatio(0.5, window: .time(.seconds(-1)), minimumCalls: 1)), "trip.window.time", .notPositive),
        (Config(trip: .failureRatio(0.5, window: .time(.seconds(10), buckets: 0), minimumCalls: 1)), "trip.window.buckets", .notPositive),
        (Config(trip: .failureRatio(0.5, window: .time(.seconds(600), buckets: 70_000), minimumCalls: 1)), "trip.window.buckets", .outOfRange),
        (Config(trip: .slowCallRatio(0.5, window: .count(10), minimumCalls: 5)), "slowCallThreshold", .missing),
        (Config(trip: .window(WindowPolicy(window: .count(10), minimumCalls: 5))), "trip.failureRatioThreshold", .missing),
        (Config(openWait: .fixed(.zero)), "openWait.initial", .notPositive),
        (Config(openWait: .exponential(initial: .seconds(-1), maximum: .seconds(1))), "openWait.initial", .notPositive),
        (Config(openWait: .exponential(initial: .seconds(5), maximum: .seconds(1))), "openWait.maximum", .inconsistent),
        (Config(openWait: .exponential(initial: .seconds(1), multiplier: 0.5, maximum: .seconds(9))), "openWait.multiplier", .outOfRange),
        (Config(openWait: .exponential(initial: .seconds(1), maximum: .seconds(9), jitter: 1)), "openWait.jitter", .outOfRange),
        (Config(halfOpen: HalfOpenPolicy(trialCalls: 0)), "halfOpen.trialCalls", .notPositive),
        (Config(halfOpen: HalfOpenPolicy(trialCalls: 2, requiredSuccesses: 3)), "halfOpen.requiredSuccesses", .inconsistent),
        (Config(halfOpen: HalfOpenPolicy(trialCalls: 2, requiredSuccesses: 0)), "halfOpen.requiredSuccesses", .notPositive),
        (Config(halfOpen: HalfOpenPolicy(maximumDuration: .zero)), "halfOpen.maximumDuration", .notPositive),
        (Config(invocationTimeout: .zero), "invocationTimeout", .notPositive),
        (Config(invocationTimeout: .milliseconds(-5)), "invocationTimeout", .notPositive),
        (Config(slowCallThreshold: .zero), "slowCallThreshold", .notPositive),
    ]

    @Test(arguments: 0..<invalid.count)
    func invalidConfigurationThrowsAtCreation(index: Int) {
        let (configuration, field, code) = Self.invalid[index]
        do {
            _ = try CircuitBreaker(name: "x", configuration: configuration)
            Issue.record("accepted an invalid \(field)")
        } catch let error as ConfigurationError {
            #expect(error.field == field)
            #expect(error.code == code)
            #expect(error.description.contains(field))
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test func defaultsAndPresetsAreValid() throws {
        try Config.default.validate()
        try Config.consecutiveFailures(5).validate()
        #expect(Config.default.trip == .failureRatio(0.5, window: .time(.seconds(60), buckets: 10), minimumCalls: 20))
        #expect(Config.default.invocationTimeout == nil)
    }
}
