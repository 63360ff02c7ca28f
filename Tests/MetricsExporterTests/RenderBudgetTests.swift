import CircuitBreakerInternals
import Testing

@testable import MetricsExporter

@Suite("Render budget")
struct RenderBudgetTests {
    @Test("At most the budget's renders hold permits; a permit comes back with the last body that holds it")
    func boundsRenders() async throws {
        let budget = RenderBudget(renders: 2)
        // Two bodies of the first render share its permit.
        var firstRender = [try #require(budget.acquire())]
        firstRender.append(firstRender[0])
        let secondRender = try #require(budget.acquire())
        #expect(budget.inUse == 2)
        // A third render waits until a permit comes back.
        let third = Locked(false)
        let waiter = Task.detached {
            let permit = budget.acquire()
            third.withLock { $0 = permit != nil }
            return permit != nil
        }
        // Give the waiter time to block (a wrong budget would hand it a permit now; a slow machine only makes this
        // check weaker, never wrong).
        try await Task.sleep(for: .milliseconds(20))
        #expect(!third.withLock({ $0 }))
        firstRender.removeLast()
        #expect(!third.withLock({ $0 }), "the permit came back while a body still held it")
        firstRender.removeAll()
        #expect(await waiter.value)
        // The waiter's permit came back when its closure dropped it; the second render's is still out.
        #expect(budget.inUse == 1)
        withExtendedLifetime(secondRender) {}
    }

    @Test("Closing the budget wakes a render waiting for a permit and refuses it")
    func closeWakes() async throws {
        let budget = RenderBudget(renders: 2)
        let held = [budget.acquire(), budget.acquire()]
        let waiter = Task.detached { budget.acquire() == nil }
        budget.close()
        #expect(await waiter.value)
        #expect(budget.acquire() == nil)
        withExtendedLifetime(held) {}
    }
}
