import CircuitBreaker
import CircuitBreakerTestKit
import Testing

@Suite struct RegistryTests {
    @Test func getOrCreateReturnsTheSameBreaker() throws {
        let recorder = RecordingMonitor()
        let registry = BreakerRegistry(defaultConfiguration: .consecutiveFailures(3), monitors: [recorder])
        let first = try registry.breaker(named: "payments")
        let second = try registry.breaker(named: "payments")
        #expect(first === second)
        #expect(first.configuration == .consecutiveFailures(3))
        #expect(recorder.count("attached") == 1)
        let same = try registry.breaker(named: "payments", configuration: .consecutiveFailures(3))
        #expect(same === first, "the same configuration is no conflict")
    }

    @Test func aDifferentConfigurationIsAnError() throws {
        let registry = BreakerRegistry()
        _ = try registry.breaker(named: "payments", configuration: .consecutiveFailures(3))
        do {
            _ = try registry.breaker(named: "payments", configuration: .consecutiveFailures(4))
            Issue.record("a different configuration was accepted")
        } catch let error as ConfigurationError {
            #expect(error.code == .conflictsWithRegisteredBreaker)
            #expect(error.breakerName == "payments")
        }
        var classified = CircuitBreaker.Configuration.consecutiveFailures(3)
        classified.errorClassifier = ErrorClassifier("custom") { _ in true }
        #expect(throws: ConfigurationError.self) {
            try registry.breaker(named: "payments", configuration: classified)
        }
    }

    @Test func listsSnapshotsSortedByName() throws {
        let clock = ManualClock()
        let registry = BreakerRegistry(defaultConfiguration: .consecutiveFailures(1), clock: .manual(clock))
        for name in ["search", "catalog", "payments"] { _ = try registry.breaker(named: name) }
        _ = try? registry.breaker(named: "payments").execute { throw DependencyDown() }
        let snapshots = registry.snapshots()
        #expect(snapshots.map(\.name) == ["catalog", "payments", "search"])
        #expect(snapshots.map(\.state) == [.closed, .open, .closed])
        #expect(snapshots[1].retryAfter == .seconds(30))
    }

    @Test func removingABreakerDetachesItsMonitors() throws {
        let recorder = RecordingMonitor()
        let registry = BreakerRegistry(monitors: [recorder])
        _ = try registry.breaker(named: "payments")
        let removed = registry.remove(named: "payments")
        #expect(removed?.name == "payments")
        #expect(registry.existingBreaker(named: "payments") == nil)
        #expect(recorder.count("detached", breaker: "payments") == 1)
        #expect(registry.remove(named: "payments") == nil)
    }

    @Test func aMonitorThatRefusesABreakerFailsItsCreation() throws {
        struct Refusing: BreakerMonitor {
            struct Full: Error {}
            func bind(to breaker: BreakerDescription) throws -> any BreakerMonitor {
                if breaker.name == "one-too-many" { throw Full() }
                return self
            }
        }
        let recorder = RecordingMonitor()
        let registry = BreakerRegistry(monitors: [recorder, Refusing()])
        _ = try registry.breaker(named: "fine")
        #expect(throws: Refusing.Full.self) { try registry.breaker(named: "one-too-many") }
        #expect(registry.existingBreaker(named: "one-too-many") == nil)
        #expect(recorder.count("detached", breaker: "one-too-many") == 1, "monitors bound before are released")
    }
}
