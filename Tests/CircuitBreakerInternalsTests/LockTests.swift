import CircuitBreakerInternals
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite struct LockTests {
    @Test func withLockIsExclusiveAcrossThreads() async {
        let counter = Locked(0)
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<4 {
                group.addTask {
                    for _ in 0..<10_000 { counter.withLock { $0 += 1 } }
                }
            }
        }
        #expect(counter.withLock { $0 } == 40_000)
    }

    @Test func aWaiterWakesWhenTheValueChanges() {
        let ready = Locked(false)
        let woke = Locked(false)
        var thread = pthread_t()
        let box = Unmanaged.passRetained(Pair(ready: ready, woke: woke)).toOpaque()
        let created = pthread_create(
            &thread,
            nil,
            { argument in
                let pair = Unmanaged<Pair>.fromOpaque(argument!).takeRetainedValue()
                // A generous deadline: the test waits for the event, not for the clock.
                let deadline = MonotonicTime.nanoseconds() + 60_000_000_000
                let satisfied = pair.ready.wait(until: { $0 }, deadlineMonotonicNanoseconds: deadline)
                pair.woke.updateAndBroadcast { $0 = satisfied }
                return nil
            },
            box
        )
        #expect(created == 0)
        ready.updateAndBroadcast { $0 = true }
        let deadline = MonotonicTime.nanoseconds() + 60_000_000_000
        #expect(woke.wait(until: { $0 }, deadlineMonotonicNanoseconds: deadline))
        pthread_join(thread, nil)
    }

    @Test func aWaitEndsAtItsDeadlineWhenNothingHappens() {
        let never = Locked(false)
        // A deadline already in the past: the wait checks once and gives up.
        #expect(!never.wait(until: { $0 }, deadlineMonotonicNanoseconds: MonotonicTime.nanoseconds()))
    }
}

private final class Pair: Sendable {
    let ready: Locked<Bool>
    let woke: Locked<Bool>

    init(ready: Locked<Bool>, woke: Locked<Bool>) {
        self.ready = ready
        self.woke = woke
    }
}
