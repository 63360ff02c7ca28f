import CircuitBreakerInternals
import CircuitBreakerTestKit
import Foundation
import Synchronization
import Testing

@testable import CircuitBreaker
import TestSupport

/// A deadline that records how it ended: expired by its scheduler, or claimed by its owner.
final class RecordedDeadline: ScheduledDeadline, @unchecked Sendable {
    let id: Int
    let log: Locked<[Int]>

    init(id: Int, log: Locked<[Int]>) {
        self.id = id
        self.log = log
    }

    override func expire() {
        log.updateAndBroadcast { $0.append(id) }
    }
}

/// The timer heap and the scheduler that the invocation timeout arms its deadlines in.
@Suite struct DeadlineSchedulerTests {

    @Test(arguments: [1, 2, 3])
    func theHeapAgreesWithASortedListUnderRandomInsertsRemovalsAndPops(seed: UInt64) {
        var random = SeededGenerator(seed: seed)
        var heap = DeadlineHeap()
        // The model: armed entries; the expected pop order is by deadline, then arming order.
        var model: [ScheduledDeadline] = []
        var sequence: UInt64 = 0
        let log = Locked<[Int]>([])
        for step in 0..<2_000 {
            switch Int.random(in: 0..<10, using: &random) {
            case 0..<5:
                let entry = RecordedDeadline(id: step, log: log)
                // Few distinct deadlines, so that ties (broken by arming order) are common.
                entry.deadline = Int64.random(in: 0..<50, using: &random)
                entry.sequence = sequence
                sequence += 1
                heap.insert(entry)
                model.append(entry)
            case 5..<8:
                guard !model.isEmpty else { continue }
                let entry = model.remove(at: Int.random(in: 0..<model.count, using: &random))
                heap.remove(entry)
                #expect(entry.heapIndex == -1)
            default:
                let expected = model.min { ($0.deadline, $0.sequence) < ($1.deadline, $1.sequence) }
                let popped = heap.removeFirst()
                #expect(popped === expected)
                if let popped { model.removeAll { $0 === popped } }
            }
            #expect(heap.count == model.count)
            if step % 100 == 0 { #expect(heap.isConsistent) }
        }
        #expect(heap.isConsistent)
        // Removing an entry that is not in the heap changes nothing.
        let stranger = RecordedDeadline(id: -1, log: log)
        let count = heap.count
        heap.remove(stranger)
        #expect(heap.count == count)
    }

    @Test func advancingExpiresWhatIsDueEarliestFirstAndNothingElse() {
        let scheduler = DeadlineScheduler(driver: .manual)
        let log = Locked<[Int]>([])
        var random = SeededGenerator(seed: 42)
        var deadlines: [Int: Int64] = [:]
        for id in 0..<200 {
            let deadline = Int64.random(in: 1...100, using: &random)
            deadlines[id] = deadline
            let entry = RecordedDeadline(id: id, log: log)
            scheduler.lock()
            let armed = scheduler.armLocked(entry, at: deadline)
            scheduler.unlock()
            #expect(armed)
        }
        // Arming order breaks ties: ids were armed in increasing order.
        let order = deadlines.keys.sorted { (deadlines[$0]!, $0) < (deadlines[$1]!, $1) }
        scheduler.advance(to: 50)
        let dueByHalfway = order.filter { deadlines[$0]! <= 50 }
        #expect(log.withLock { $0 } == dueByHalfway)
        #expect(scheduler.armedCount == 200 - dueByHalfway.count)
        scheduler.advance(to: 100)
        #expect(log.withLock { $0 } == order)
        #expect(scheduler.armedCount == 0)
        #expect(scheduler.isConsistent)
    }

    @Test func aDeadlineThatAManualClockHasPassedIsClaimedInsteadOfArmed() {
        let scheduler = DeadlineScheduler(driver: .manual)
        let log = Locked<[Int]>([])
        scheduler.advance(to: 100)
        let late = RecordedDeadline(id: 1, log: log)
        let onTime = RecordedDeadline(id: 2, log: log)
        scheduler.lock()
        let lateArmed = scheduler.armLocked(late, at: 100)
        let onTimeArmed = scheduler.armLocked(onTime, at: 101)
        scheduler.unlock()
        #expect(!lateArmed)
        #expect(late.claimed, "its arming party must expire it")
        #expect(onTimeArmed)
        #expect(scheduler.armedCount == 1)
        // A claimed entry cannot be claimed again, and a claim takes an armed entry out.
        scheduler.lock()
        let lateClaimed = scheduler.claimLocked(late)
        let onTimeClaimed = scheduler.claimLocked(onTime)
        let onTimeClaimedTwice = scheduler.claimLocked(onTime)
        scheduler.unlock()
        #expect(!lateClaimed)
        #expect(onTimeClaimed)
        #expect(!onTimeClaimedTwice)
        #expect(scheduler.armedCount == 0)
        scheduler.advance(to: 1_000)
        #expect(log.withLock { $0 }.isEmpty, "claimed entries never expire")
    }

    @Test func aSleepThatIsAlreadyOverReturnsAtOnce() async throws {
        let clock = ManualClock()
        try await clock.sleep(for: .zero)
        try await clock.sleep(for: .milliseconds(-5))
        clock.advance(by: .seconds(1))
        try await clock.sleep(for: .zero)
        #expect(clock.sleeperCount == 0)
    }

    /// Waits (on a thread of its own, not the cooperative pool) until `log` holds `count` entries; at most 10
    /// minutes, which only a hung test reaches.
    func waitForExpiries(_ log: Locked<[Int]>, count: Int) async -> Bool {
        await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            Thread.detachNewThread {
                let reached = log.wait(
                    until: { $0.count >= count },
                    deadlineMonotonicNanoseconds: MonotonicTime.nanoseconds() + 600_000_000_000
                )
                continuation.resume(returning: reached)
            }
        }
    }

    @Test func theThreadExpiresDeadlinesEarliestFirst() async {
        // A scheduler of the system clock's kind, with its own thread (not the process's shared one).
        let scheduler = DeadlineScheduler(driver: .thread)
        let log = Locked<[Int]>([])
        let now = BreakerClock.system.preciseNanoseconds()
        // Armed latest first, so that every arming moves the thread's wake-up earlier; all under one hold of the
        // lock, so that however slow the machine, the thread sees them all before it expires any.
        scheduler.lock()
        for id in (0..<20).reversed() {
            _ = scheduler.armLocked(RecordedDeadline(id: id, log: log), at: now + Int64(id) * 100_000)
        }
        scheduler.unlock()
        #expect(await waitForExpiries(log, count: 20))
        #expect(log.withLock { $0 } == Array(0..<20))
        #expect(scheduler.armedCount == 0)
    }

    @Test func withoutAThreadDeadlinesStillExpireThroughFallbackTasks() async {
        let starts = Atomic<Int>(0)
        let scheduler = DeadlineScheduler(driver: .thread) { _ in
            starts.add(1, ordering: .relaxed)
            return false
        }
        let log = Locked<[Int]>([])
        let now = BreakerClock.system.preciseNanoseconds()
        scheduler.lock()
        for id in 0..<5 {
            _ = scheduler.armLocked(RecordedDeadline(id: id, log: log), at: now + Int64(id) * 100_000)
        }
        scheduler.unlock()
        #expect(await waitForExpiries(log, count: 5))
        #expect(Set(log.withLock { $0 }) == Set(0..<5))
        #expect(scheduler.armedCount == 0)
        #expect(starts.load(ordering: .relaxed) == 1, "a failed start is retried after a pause, not at every arming")
    }

    /// Four threads arm deadlines a few microseconds ahead and claim about half of them at once, racing the
    /// scheduler's thread, which expires the rest. Every entry ends exactly once. `make test` runs this again under
    /// ThreadSanitizer.
    @Test func concurrentArmingClaimingAndExpiryEndEachDeadlineExactlyOnce() async {
        let scheduler = DeadlineScheduler(driver: .thread)
        let expired = Locked<[Int]>([])
        let claimed = Locked<[Int]>([])
        let threads = 4
        let perThread = 500
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            let remaining = Atomic<Int>(threads)
            for thread in 0..<threads {
                Thread.detachNewThread {
                    var random = SeededGenerator(seed: UInt64(thread))
                    for index in 0..<perThread {
                        let id = thread * perThread + index
                        let entry = RecordedDeadline(id: id, log: expired)
                        let deadline = BreakerClock.system.preciseNanoseconds() + Int64.random(in: 0..<200_000, using: &random)
                        scheduler.lock()
                        _ = scheduler.armLocked(entry, at: deadline)
                        scheduler.unlock()
                        if Bool.random(using: &random) {
                            scheduler.lock()
                            let won = scheduler.claimLocked(entry)
                            scheduler.unlock()
                            if won { claimed.withLock { $0.append(id) } }
                        }
                    }
                    if remaining.subtract(1, ordering: .acquiringAndReleasing).newValue == 0 { done.resume() }
                }
            }
        }
        let claimedCount = claimed.withLock { $0.count }
        #expect(await waitForExpiries(expired, count: threads * perThread - claimedCount))
        let expiredIDs = Set(expired.withLock { $0 })
        let claimedIDs = Set(claimed.withLock { $0 })
        #expect(expiredIDs.count == expired.withLock { $0.count }, "no deadline expired twice")
        #expect(expiredIDs.isDisjoint(with: claimedIDs), "no deadline both claimed and expired")
        #expect(expiredIDs.union(claimedIDs) == Set(0..<(threads * perThread)))
        #expect(scheduler.armedCount == 0)
        #expect(scheduler.isConsistent)
    }

    /// The same race on a manual clock: threads arm and claim while another advances the clock.
    @Test func concurrentArmingClaimingAndAdvancingOnAManualClock() async {
        let clock = ManualClock()
        let scheduler = clock.deadlines
        let expired = Locked<[Int]>([])
        let claimed = Locked<[Int]>([])
        let threads = 3
        let perThread = 500
        let armers = Atomic<Int>(threads)
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            let remaining = Atomic<Int>(threads + 1)
            for thread in 0..<threads {
                Thread.detachNewThread {
                    var random = SeededGenerator(seed: UInt64(thread) + 100)
                    for index in 0..<perThread {
                        let id = thread * perThread + index
                        let entry = RecordedDeadline(id: id, log: expired)
                        let deadline = clock.nanoseconds + Int64.random(in: 1..<50, using: &random)
                        scheduler.lock()
                        let armed = scheduler.armLocked(entry, at: deadline)
                        scheduler.unlock()
                        if !armed {
                            entry.expire()
                        } else if Bool.random(using: &random) {
                            scheduler.lock()
                            let won = scheduler.claimLocked(entry)
                            scheduler.unlock()
                            if won { claimed.withLock { $0.append(id) } }
                        }
                    }
                    armers.subtract(1, ordering: .releasing)
                    if remaining.subtract(1, ordering: .acquiringAndReleasing).newValue == 0 { done.resume() }
                }
            }
            Thread.detachNewThread {
                // Advances in small steps while the armers run, pausing between steps so as not to hold a core that
                // the tests running beside this one need.
                while armers.load(ordering: .acquiring) > 0 {
                    clock.advance(by: .nanoseconds(3))
                    usleep(20)
                }
                if remaining.subtract(1, ordering: .acquiringAndReleasing).newValue == 0 { done.resume() }
            }
        }
        clock.advance(by: .nanoseconds(100))
        let expiredIDs = expired.withLock { $0 }
        let claimedIDs = Set(claimed.withLock { $0 })
        #expect(Set(expiredIDs).count == expiredIDs.count, "no deadline expired twice")
        #expect(Set(expiredIDs).isDisjoint(with: claimedIDs))
        #expect(Set(expiredIDs).union(claimedIDs) == Set(0..<(threads * perThread)))
        #expect(clock.sleeperCount == 0)
        #expect(scheduler.isConsistent)
    }

    /// Calls with a real invocation timeout on the system clock, from many tasks: operations that return at once,
    /// that sleep around the timeout (so both sides win often), or that fail; some callers are cancelled. Each
    /// call ends one way, every call is counted once, and no deadline of this breaker is left armed.
    @Test func callsOnTheSystemClockArmDisarmAndExpireWithoutLosingOne() async throws {
        let counter = CountingMonitor()
        let name = "deadline-stress-\(UInt64.random(in: 0..<UInt64.max))"
        let breaker = try CircuitBreaker(
            name: name,
            configuration: CircuitBreaker.Configuration(
                // Never trips: every call runs.
                trip: .failureRatio(1, window: .time(.seconds(600)), minimumCalls: 1_000_000),
                invocationTimeout: .microseconds(300)
            ),
            monitors: [counter]
        )
        let tasks = 6
        let callsPerTask = 100
        let outcomes = try await withThrowingTaskGroup(of: [String].self) { group in
            for task in 0..<tasks {
                group.addTask {
                    var outcomes: [String] = []
                    var random = SeededGenerator(seed: UInt64(task) + 7)
                    for call in 0..<callsPerTask {
                        let kind = Int.random(in: 0..<4, using: &random)
                        let pause = Int.random(in: 0..<600, using: &random)
                        let caller = Task {
                            try await breaker.execute { () async throws -> Int in
                                switch kind {
                                case 0: return call
                                case 1: throw DependencyDown()
                                default:
                                    try await Task.sleep(for: .microseconds(pause))
                                    return call
                                }
                            }
                        }
                        if kind == 3 && pause % 2 == 0 { caller.cancel() }
                        do {
                            _ = try await caller.value
                            outcomes.append("value")
                        } catch is DependencyDown {
                            outcomes.append("failure")
                        } catch is CallTimeoutError {
                            outcomes.append("timeout")
                        } catch is CancellationError {
                            outcomes.append("cancelled")
                        }
                    }
                    return outcomes
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        #expect(outcomes.count == tasks * callsPerTask, "every call ended with one of the four outcomes")
        let counts = counter.counts
        #expect(counts.successes == outcomes.count { $0 == "value" })
        #expect(counts.timeouts == outcomes.count { $0 == "timeout" })
        // A cancelled caller is recorded as ignored (CancellationError is not a failure). The CancellationError
        // that ends an operation's sleep after a timeout or a caller's cancellation is a late outcome: dropped.
        #expect(counts.failures == outcomes.count { $0 == "failure" })
        #expect(counts.ignored == outcomes.count { $0 == "cancelled" })
        #expect(counts.calls == outcomes.count)
        let armed = DeadlineScheduler.system.armedCount { ($0 as? TimeoutRace<Int>)?.breakerName == name }
        #expect(armed == 0, "every call took its deadline out or had it expire")
        #expect(DeadlineScheduler.system.isConsistent)
    }
}
