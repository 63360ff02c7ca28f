import CircuitBreaker
import Testing

/// The README's first example, step by step, with its printed outcomes as expectations.
@Suite struct ReadmeExampleTests {
    struct ServiceDown: Error {}

    func fetchStock(healthy: Bool) throws -> Int {
        guard healthy else { throw ServiceDown() }
        return 42
    }

    @Test func tripsRejectsAndRecovers() throws {
        // The README's breaker, on a manual clock: the 200 ms wait passes when the test says so, not when a busy
        // machine happens to stall between two calls.
        let clock = ManualClock()
        let breaker = try CircuitBreaker(
            name: "inventory",
            configuration: CircuitBreaker.Configuration(
                trip: .consecutiveFailures(3),
                openWait: .fixed(.milliseconds(200)),
                halfOpen: HalfOpenPolicy(trialCalls: 1)
            ),
            clock: .manual(clock)
        )
        var outcomes: [String] = []
        for _ in 1...5 {
            do {
                _ = try breaker.execute { try fetchStock(healthy: false) }
                outcomes.append("value")
            } catch let rejection as CallRejectedError {
                #expect(rejection.breakerName == "inventory")
                outcomes.append("rejected")
            } catch {
                outcomes.append("failed")
            }
        }
        #expect(outcomes == ["failed", "failed", "failed", "rejected", "rejected"])
        clock.advance(by: .milliseconds(250))
        #expect(try breaker.execute { try fetchStock(healthy: true) } == 42)
        #expect(breaker.state == .closed)
    }

    /// The README's keyed group: a breaker per host, the fragile host with its own threshold.
    @Test func aBreakerPerHost() async throws {
        let registry = BreakerRegistry()
        let partners = try registry.group(
            named: "partners",
            template: .consecutiveFailures(5),
            configuration: .init(maximumKeys: 500, overflow: .sharedBreaker)
        ) { host, template in host == "fragile.example" ? .consecutiveFailures(2) : template }
        let quote = try await partners.execute(key: "steady.example") { () async throws -> Int in 42 }
        #expect(quote == 42)
        for _ in 0..<2 {
            _ = try? await partners.execute(key: "fragile.example") { () async throws -> Int in throw ServiceDown() }
        }
        #expect(partners.existingBreaker(for: "fragile.example")?.snapshot().state == .open)
        #expect(partners.existingBreaker(for: "steady.example")?.snapshot().state == .closed)
        #expect(partners.existingBreaker(for: "never.example") == nil)
        await #expect(throws: CallRejectedError.self) {
            try await partners.execute(key: "fragile.example") { () async throws -> Int in 1 }
        }
    }
}
