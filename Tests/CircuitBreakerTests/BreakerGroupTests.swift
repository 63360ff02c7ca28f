import CircuitBreaker
import CircuitBreakerInternals
import CircuitBreakerTestKit
import Testing

/// A monitor that records what a group tells it: binds, attaches and detaches with keys, evictions, overflows.
final class GroupLog: BreakerMonitor {
    struct Entries {
        var groupsBound: [String] = []
        var groupsAttached = 0
        var groupsDetached: [String] = []
        var bound: [String?] = []
        var detached: [String?] = []
        var evicted: [String] = []
        var overflowed: [(key: String, policy: BreakerGroup.OverflowPolicy)] = []
    }

    let entries = Locked(Entries())

    func bind(toGroup group: BreakerGroupDescription) throws -> any BreakerMonitor {
        entries.withLock { $0.groupsBound.append(group.name) }
        return self
    }

    func didAttach(toGroup group: BreakerGroup) { entries.withLock { $0.groupsAttached += 1 } }
    func didDetach(fromGroup group: BreakerGroupDescription) {
        entries.withLock { $0.groupsDetached.append(group.name) }
    }
    func bind(to breaker: BreakerDescription) throws -> any BreakerMonitor {
        entries.withLock { $0.bound.append(breaker.key) }
        return self
    }
    func didDetach(from breaker: BreakerDescription) { entries.withLock { $0.detached.append(breaker.key) } }
    func keyEvicted(_ group: BreakerGroup, key: String) { entries.withLock { $0.evicted.append(key) } }
    func keyOverflowed(_ group: BreakerGroup, key: String, policy: BreakerGroup.OverflowPolicy) {
        entries.withLock { $0.overflowed.append((key, policy)) }
    }

    var evicted: [String] { entries.withLock { $0.evicted } }
    var detached: [String?] { entries.withLock { $0.detached } }
}

/// A group on a manual clock: consecutive failures (3), a 10 s open wait, one trial call.
struct GroupHarness {
    let clock = ManualClock()
    let log = GroupLog()
    let group: BreakerGroup

    init(
        maximumKeys: Int,
        overflow: BreakerGroup.OverflowPolicy = .sharedBreaker,
        template: CircuitBreaker.Configuration = .testConsecutive(3),
        configure: BreakerGroup.KeyConfiguration? = nil
    ) throws {
        group = try BreakerGroup(
            name: "partners",
            template: template,
            configuration: .init(maximumKeys: maximumKeys, overflow: overflow),
            configure: configure,
            monitors: [log],
            clock: .manual(clock)
        )
    }

    func succeed(_ key: String) {
        _ = try? group.execute(key: key) { 1 }
    }

    /// A failing call; whether it ran (rather than being rejected).
    @discardableResult
    func fail(_ key: String) -> Bool {
        do {
            try group.execute(key: key) { throw DependencyDown() }
            return true
        } catch is DependencyDown {
            return true
        } catch {
            return false
        }
    }

    var keys: Set<String> { Set(group.keys) }
}

@Suite struct BreakerGroupTests {
    @Test func aKeyGetsItsBreakerOnFirstUseAndKeepsIt() throws {
        let harness = try GroupHarness(maximumKeys: 10)
        let first = try harness.group.breaker(for: "a.example")
        #expect(try harness.group.breaker(for: "a.example") === first)
        #expect(first.key == "a.example")
        #expect(first.name == "partners")
        #expect(first.configuration == .testConsecutive(3))
        #expect(harness.group.count == 1)
        #expect(harness.group.existingBreaker(for: "a.example") === first)
        #expect(harness.group.existingBreaker(for: "b.example") == nil)
        #expect(harness.group.count == 1, "existingBreaker creates nothing")
        #expect(harness.log.entries.withLock { $0.bound } == [nil, "a.example"], "the overflow breaker, then the key")
        #expect(harness.log.entries.withLock { ($0.groupsBound, $0.groupsAttached) } == (["partners"], 1))
    }

    @Test func keysAreApartFromEachOther() throws {
        let harness = try GroupHarness(maximumKeys: 10)
        for _ in 0..<3 { harness.fail("slow.example") }
        #expect(try harness.group.breaker(for: "slow.example").state == .open)
        #expect(harness.fail("slow.example") == false, "rejected")
        harness.succeed("fast.example")
        #expect(try harness.group.breaker(for: "fast.example").state == .closed)
        #expect(harness.fail("fast.example"), "another key still runs its calls")
    }

    @Test func theConfigureClosureChangesAKeysConfiguration() throws {
        let harness = try GroupHarness(maximumKeys: 10) { key, template in
            key == "fragile.example" ? .testConsecutive(1) : template
        }
        harness.fail("fragile.example")
        harness.fail("sturdy.example")
        #expect(try harness.group.breaker(for: "fragile.example").state == .open)
        #expect(try harness.group.breaker(for: "sturdy.example").state == .closed)
        #expect(try harness.group.breaker(for: "sturdy.example").configuration == .testConsecutive(3))
    }

    @Test func anInvalidKeyConfigurationIsAnErrorAndTakesNoSlot() throws {
        let harness = try GroupHarness(maximumKeys: 10) { key, template in
            key == "bad" ? .testConsecutive(0) : template
        }
        #expect(throws: ConfigurationError.self) { try harness.group.breaker(for: "bad") }
        #expect(harness.group.count == 0)
        #expect(try harness.group.breaker(for: "good").key == "good")
    }

    @Test func theLeastRecentlyUsedIdleKeyIsEvicted() throws {
        // Uses are ordered by key creations: a key used after the newest key was created counts as used then.
        let harness = try GroupHarness(maximumKeys: 3)
        for key in ["a", "b", "c"] { harness.succeed(key) }
        harness.succeed("a")
        harness.succeed("d")
        #expect(harness.keys == ["a", "c", "d"], "b was used least recently")
        #expect(harness.log.evicted == ["b"])
        #expect(harness.log.detached == ["b"], "the evicted key's breaker was detached from its monitors")
        #expect(harness.group.evictions == 1)
        harness.succeed("c")
        harness.succeed("e")
        #expect(harness.keys == ["c", "d", "e"], "then a, last used before d was created")
        #expect(harness.group.count == 3)
    }

    @Test func aKeyCountingFailuresKeepsItsSlot() throws {
        let harness = try GroupHarness(maximumKeys: 2)
        harness.fail("failing")  // one failure of three: closed, with a streak
        harness.succeed("idle")
        harness.succeed("new")
        #expect(harness.keys == ["failing", "new"], "the idle key went, though used later")
        #expect(try harness.group.breaker(for: "failing").snapshot().consecutiveFailures == 1)
    }

    @Test func openOverriddenAndFailingWindowKeysAreNotIdle() throws {
        let window = CircuitBreaker.Configuration(
            trip: .failureRatio(0.5, window: .time(.seconds(60), buckets: 6), minimumCalls: 100),
            openWait: .fixed(.seconds(10)),
            slowCallThreshold: .seconds(1)
        )
        let harness = try GroupHarness(maximumKeys: 4, template: window)
        // An open key (forced), a key with a failure in its window, a key with a slow call, an idle one.
        try harness.group.breaker(for: "forced").forceOpen()
        harness.fail("failure")
        _ = try harness.group.execute(key: "slow") { harness.clock.advance(by: .seconds(2)) }
        harness.succeed("idle")
        harness.fail("new1")
        #expect(harness.keys == ["forced", "failure", "slow", "new1"])
        #expect(harness.group.overflows == 0)
        // Nothing is idle now: the next key overflows into the shared breaker.
        let overflowed = try harness.group.breaker(for: "new2")
        #expect(overflowed === harness.group.overflowBreaker)
        #expect(overflowed.key == nil)
        #expect(harness.group.overflows == 1)
        #expect(harness.log.entries.withLock { $0.overflowed.map(\.key) } == ["new2"])
        // Once the window has slid past the failure and the slow call, those keys are idle again (after the pause
        // that follows a scan that found nothing).
        harness.clock.advance(by: .seconds(61))
        harness.succeed("new3")
        #expect(harness.keys.contains("new3"))
        #expect(!harness.keys.contains("failure") || !harness.keys.contains("slow"))
        #expect(harness.keys.contains("forced"), "an overridden key is never idle")
    }

    @Test func theRejectPolicyThrowsATypedErrorAndRunsNothing() throws {
        let harness = try GroupHarness(maximumKeys: 1, overflow: .reject)
        #expect(harness.group.overflowBreaker == nil)
        harness.fail("failing")
        var ran = false
        do {
            try harness.group.execute(key: "other") { ran = true }
            Issue.record("the call ran")
        } catch let error as BreakerGroupError {
            #expect(error.code == .overflow)
            #expect(error.groupName == "partners")
            #expect(error.key == "other")
            #expect(error.limit == 1)
            #expect("\(error)".contains("maximum of 1 keys"))
        }
        #expect(!ran)
        #expect(harness.group.overflows == 1)
        #expect(harness.log.entries.withLock { $0.overflowed.map(\.policy) } == [.reject])
        #expect(throws: BreakerGroupError(.overflow, groupName: "", key: "")) {
            try harness.group.breaker(for: "other")
        }
    }

    @Test func badKeysGetTypedErrors() throws {
        let harness = try GroupHarness(maximumKeys: 4)
        #expect(throws: BreakerGroupError(.emptyKey, groupName: "", key: "")) { try harness.group.breaker(for: "") }
        let long = String(repeating: "x", count: 257)
        do {
            _ = try harness.group.breaker(for: long)
            Issue.record("a key of 257 bytes was accepted")
        } catch let error as BreakerGroupError {
            #expect(error.code == .keyTooLong)
            #expect(error.limit == 256)
            #expect(error.key.count == 64, "the error keeps a prefix of the key")
        }
        #expect(try harness.group.breaker(for: String(repeating: "x", count: 256)).key?.utf8.count == 256)
        #expect(harness.group.count == 1)
    }

    @Test func keysAreComparedByteForByte() throws {
        let harness = try GroupHarness(maximumKeys: 10)
        let precomposed = "caf\u{E9}.example"
        let decomposed = "cafe\u{301}.example"
        #expect(precomposed == decomposed, "Swift calls them equal")
        let first = try harness.group.breaker(for: precomposed)
        let second = try harness.group.breaker(for: decomposed)
        #expect(first !== second, "two label values to Prometheus, so two keys")
        #expect(harness.group.existingBreaker(for: decomposed) === second)
        // Keys that share a long prefix, and short ones, all stay apart.
        let keys = (0..<100).map { "tenant-with-a-long-common-prefix-\($0)" } + ["a", "b", "ab", "ba"]
        let big = try GroupHarness(maximumKeys: 200)
        let breakers = try keys.map { try big.group.breaker(for: $0) }
        for (key, breaker) in zip(keys, breakers) {
            #expect(big.group.existingBreaker(for: key) === breaker, "\(key)")
            #expect(breaker.key == key)
        }
        #expect(big.group.count == keys.count)
    }

    @Test func invalidLimitsAreConfigurationErrors() {
        for limits in [
            BreakerGroup.Configuration(maximumKeys: 0), BreakerGroup.Configuration(maximumKeyLength: 0),
            BreakerGroup.Configuration(maximumKeys: BreakerGroup.Configuration.largestMaximumKeys + 1),
        ] {
            #expect(throws: ConfigurationError.self) { try BreakerGroup(name: "g", configuration: limits) }
        }
        #expect(throws: ConfigurationError.self) { try BreakerGroup(name: "g", template: .testConsecutive(0)) }
    }

    /// The attack: a caller alternates one failing key with made-up keys while the group is full. Made-up keys
    /// evict each other; the failing key keeps its history and opens after its third failure, as configured.
    @Test func madeUpKeysCannotEvictAFailingKey() throws {
        let harness = try GroupHarness(maximumKeys: 4)
        for round in 0..<50 {
            let ran = harness.fail("victim.example")
            #expect(ran == (round < 3), "round \(round): the failing key runs 3 calls, then rejects")
            harness.succeed("made-up-\(round).example")
            #expect(harness.group.existingBreaker(for: "victim.example") != nil, "round \(round)")
        }
        let victim = try harness.group.breaker(for: "victim.example")
        #expect(victim.state == .open)
        #expect(!harness.log.evicted.contains("victim.example"))
        #expect(harness.log.evicted.count == 50 - 3, "each made-up key past the cap evicted an earlier one")
        #expect(harness.group.overflows == 0)
    }

    @Test func aKeyWithACallInFlightIsNotEvicted() throws {
        let harness = try GroupHarness(maximumKeys: 2)
        harness.succeed("busy")
        harness.succeed("other")
        try harness.group.execute(key: "busy") {
            // While this call runs, "busy" is pinned: the new key evicts "other".
            harness.fail("new")
            #expect(harness.keys == ["busy", "new"])
            // And with nothing else idle, the next one overflows.
            let newer = try harness.group.breaker(for: "newer")
            #expect(newer === harness.group.overflowBreaker)
        }
        harness.clock.advance(by: .seconds(1))  // past the pause after a scan that found nothing
        harness.succeed("newer")
        #expect(harness.keys.contains("newer"))
    }

    @Test func withBreakerPinsTheKeyForTheBody() throws {
        let harness = try GroupHarness(maximumKeys: 1)
        let value = try harness.group.withBreaker(for: "a") { breaker in
            #expect(breaker.key == "a")
            #expect(try harness.group.breaker(for: "b") === harness.group.overflowBreaker)
            return try breaker.execute({ 7 }, fallback: { _ in 0 })
        }
        #expect(value == 7)
    }

    @Test func asyncCallsGoThroughTheKeysBreaker() async throws {
        let harness = try GroupHarness(maximumKeys: 4)
        let value = try await harness.group.execute(key: "a") { () async throws -> Int in 5 }
        #expect(value == 5)
        await #expect(throws: DependencyDown.self) {
            try await harness.group.execute(key: "a") { () async throws -> Int in throw DependencyDown() }
        }
        #expect(try harness.group.breaker(for: "a").snapshot().consecutiveFailures == 1)
        let length = try await harness.group.withBreaker(for: "a") { breaker async throws -> Int in
            breaker.key?.count ?? 0
        }
        #expect(length == 1)
    }

    @Test func settlingReportsOpenKeysWhoseWaitElapsed() throws {
        let recorder = RecordingMonitor()
        let clock = ManualClock()
        let group = try BreakerGroup(
            name: "partners",
            template: .testConsecutive(1),
            monitors: [recorder],
            clock: .manual(clock)
        )
        _ = try? group.execute(key: "a") { throw DependencyDown() }
        #expect(try group.breaker(for: "a").generation == 2)
        clock.advance(by: .seconds(11))
        group.settleStates()
        #expect(recorder.transitions.map(\.to) == [.open, .halfOpen])
        #expect(group.existingBreaker(for: "a")?.generation == 3)
    }

    @Test func theRegistryHoldsGroupsBesideBreakers() throws {
        let log = GroupLog()
        let registry = BreakerRegistry(defaultConfiguration: .testConsecutive(2), monitors: [log])
        let group = try registry.group(named: "partners")
        #expect(group.template == .testConsecutive(2))
        #expect(try registry.group(named: "partners") === group)
        #expect(try registry.group(named: "partners", template: .testConsecutive(2)) === group)
        #expect(registry.existingGroup(named: "partners") === group)
        #expect(registry.groups.map(\.name) == ["partners"])
        #expect(throws: ConfigurationError.self) {
            try registry.group(named: "partners", template: .testConsecutive(9))
        }
        #expect(throws: ConfigurationError.self) {
            try registry.group(named: "partners", configuration: .init(maximumKeys: 5))
        }
        _ = try registry.breaker(named: "payments")
        #expect(throws: ConfigurationError.self) { try registry.group(named: "payments") }
        #expect(throws: ConfigurationError.self) { try registry.breaker(named: "partners") }
        #expect(registry.breakers.map(\.name) == ["payments"])

        _ = try group.breaker(for: "a")
        _ = try group.breaker(for: "b")
        #expect(registry.removeGroup(named: "partners") === group)
        #expect(Set(log.detached) == [nil, "a", "b"], "both keys and the overflow breaker; payments stays")
        #expect(log.detached.count == 3)
        #expect(log.entries.withLock { $0.groupsDetached } == ["partners"])
        #expect(registry.existingGroup(named: "partners") == nil)
        _ = try group.breaker(for: "c")
        #expect(!log.entries.withLock { $0.bound }.contains("c"), "a key created after removal gets no monitors")
    }
}
