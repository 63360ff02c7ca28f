import CircuitBreaker
import CircuitBreakerInternals
import Synchronization
import Testing

/// Checks, for every breaker of a group it is bound to, that the breaker was idle when it was evicted: closed, no
/// failure in its window, no streak. A violation is an eviction that lost a failure.
final class IdleAtEvictionMonitor: BreakerMonitor {
    /// The monitor of one breaker: holds it weakly from attach to detach.
    final class Watch: BreakerMonitor {
        private let breaker = Locked<Weak?>(nil)
        private let owner: IdleAtEvictionMonitor

        struct Weak { weak var breaker: CircuitBreaker? }

        init(owner: IdleAtEvictionMonitor) { self.owner = owner }

        var observesCalls: Bool { false }
        func didAttach(to breaker: CircuitBreaker) { self.breaker.withLock { $0 = Weak(breaker: breaker) } }
        func didDetach(from description: BreakerDescription) {
            guard description.key != nil, let breaker = breaker.withLock({ $0?.breaker }) else { return }
            let snapshot = breaker.snapshot()
            let idle = snapshot.state == .closed && snapshot.consecutiveFailures == 0 && snapshot.windowFailures == 0
            owner.detached.withLock { counts in
                counts.total += 1
                if !idle { counts.notIdle += 1 }
            }
        }
    }

    let detached = Locked((total: 0, notIdle: 0))

    func bind(to breaker: BreakerDescription) throws -> any BreakerMonitor { Watch(owner: self) }
}

/// Groups under threads that create, use and evict keys at once. `make test` runs these again under
/// ThreadSanitizer, which checks the pinning protocol's memory ordering.
extension ConcurrencyTests {
    /// While a call through the group runs on a key, that key's breaker stays the group's: eviction, driven by
    /// other threads creating made-up keys at the cap, never takes it, and a call never lands on a breaker the
    /// group has let go.
    @Test func aPinnedKeyIsNeverEvictedUnderChurn() async throws {
        let group = try BreakerGroup(
            name: "churn",
            template: .consecutiveFailures(1_000_000),
            configuration: .init(maximumKeys: 8)
        )
        let mismatches = Atomic<Int>(0)
        let calls = Atomic<Int>(0)
        await hammer(threads: 4, iterations: 4_000) { thread, iteration in
            if thread == 0 {
                // The watched key: idle between its calls, so evictable; pinned during them.
                try? group.withBreaker(for: "watched") { breaker in
                    calls.add(1, ordering: .relaxed)
                    if group.existingBreaker(for: "watched") !== breaker { mismatches.add(1, ordering: .relaxed) }
                    try breaker.execute {}
                }
            } else {
                _ = try? group.execute(key: "made-up-\(thread)-\(iteration % 64)") { iteration }
            }
        }
        #expect(calls.load(ordering: .relaxed) == 4_000)
        #expect(mismatches.load(ordering: .relaxed) == 0)
        #expect(group.evictions > 0, "the made-up keys churned")
        #expect(group.count == 8)
    }

    /// Lookups racing with the reuse of the slot they found: one thread creates key after key in a group of one
    /// (each evicts the last and reuses its slot), another looks up the newest keys without creating them. A lookup
    /// that read an index entry just before its slot was reused pins the slot of another key: it must see that key
    /// (ordered by the pin), and never return a breaker for a key it did not ask for.
    @Test func aLookupNeverGetsAnotherKeysBreaker() async throws {
        let group = try BreakerGroup(
            name: "reuse",
            template: .consecutiveFailures(5),
            configuration: .init(maximumKeys: 1)
        )
        let newest = Atomic<Int>(0)
        let wrong = Atomic<Int>(0)
        let found = Atomic<Int>(0)
        let done = Atomic<Bool>(false)
        // The writer runs until the reader has seen enough hits (each loop bounded, so the test cannot hang): on a
        // busy machine, fixed iteration counts may let one thread finish before the other starts.
        await hammer(threads: 2, iterations: 1) { thread, _ in
            if thread == 0 {
                var index = 1
                while !done.load(ordering: .relaxed) && index < 5_000_000 {
                    _ = try? group.execute(key: "key-\(index)") { 1 }
                    newest.store(index, ordering: .relaxed)
                    index += 1
                }
            } else {
                for _ in 0..<500_000 where found.load(ordering: .relaxed) < 500 {
                    let key = "key-\(newest.load(ordering: .relaxed))"
                    if let breaker = group.existingBreaker(for: key) {
                        found.add(1, ordering: .relaxed)
                        if breaker.key != key { wrong.add(1, ordering: .relaxed) }
                    }
                }
                done.store(true, ordering: .relaxed)
            }
        }
        #expect(wrong.load(ordering: .relaxed) == 0)
        #expect(found.load(ordering: .relaxed) > 0, "the reader found keys while the writer replaced them")
    }

    /// A key that fails and then recovers, over and over, while other threads push made-up keys through a full
    /// group: every eviction of it happens while it is idle, never between a failure and the success that clears
    /// it, and no failure of a call through the group is recorded on a breaker the group has let go.
    @Test func evictionNeverDropsAFailure() async throws {
        let watcher = IdleAtEvictionMonitor()
        let group = try BreakerGroup(
            name: "churn",
            template: .consecutiveFailures(1_000_000),
            configuration: .init(maximumKeys: 4),
            monitors: [watcher]
        )
        await hammer(threads: 3, iterations: 4_000) { thread, iteration in
            if thread == 0 {
                _ = try? group.execute(key: "flaky") { throw DependencyDown() }
                _ = try? group.execute(key: "flaky") {}
            } else {
                _ = try? group.execute(key: "made-up-\(thread)-\(iteration)") {}
            }
        }
        let counts = watcher.detached.withLock { $0 }
        #expect(counts.total > 0)
        #expect(counts.notIdle == 0, "\(counts.notIdle) of \(counts.total) evicted breakers were not idle")
    }
}
