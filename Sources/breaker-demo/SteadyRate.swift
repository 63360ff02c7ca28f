/// Starts `call(turn)` for turn 0, 1, 2, … at `rate` per second, each in a task of its own so that slow calls do not
/// slow the rate, until the task is cancelled. A late start is not made up for with a burst.
func atSteadyRate(_ rate: Double, _ call: @escaping @Sendable (Int) async -> Void) async {
    let interval = Duration.seconds(1 / rate)
    let clock = ContinuousClock()
    await withDiscardingTaskGroup { calls in
        var next = clock.now
        var turn = 0
        while !Task.isCancelled {
            let current = turn
            calls.addTask { await call(current) }
            turn &+= 1
            next = next.advanced(by: interval)
            if next < clock.now { next = clock.now }
            do {
                try await Task.sleep(until: next, clock: clock)
            } catch {
                return
            }
        }
    }
}
