import CircuitBreakerInternals
/// Races an operation against a timer on the breaker's clock, in two unstructured tasks, and resumes the caller with whichever ends
/// first, or with `CancellationError` when the caller is cancelled. Unstructured, because a task group would wait
/// for an operation that ignores cancellation; the loser is cancelled and its outcome dropped.
@usableFromInline
final class TimeoutRace<T: Sendable>: Sendable {
    private struct State: Sendable {
        var continuation: CheckedContinuation<AsyncOutcome<T>, Never>?
        var early: AsyncOutcome<T>?
        var tasks: [Task<Void, Never>] = []
        var finished = false
    }

    private let state = Locked(State())

    @usableFromInline
    static func run(
        _ operation: @escaping @Sendable () async throws -> T,
        timeout: Duration,
        clock: BreakerClock,
        breakerName: String
    ) async -> AsyncOutcome<T> {
        let race = TimeoutRace<T>()
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                race.install(continuation)
                let work = Task {
                    do {
                        race.finish(.value(try await operation()))
                    } catch {
                        race.finish(.error(error))
                    }
                }
                let timer = Task {
                    do {
                        try await clock.sleep(for: timeout)
                        race.finish(.timedOut(CallTimeoutError(breakerName: breakerName, timeout: timeout)))
                    } catch {
                        // Cancelled: the operation finished first, or the caller gave up.
                    }
                }
                race.track([work, timer])
            }
        } onCancel: {
            race.finish(.error(CancellationError()))
        }
    }

    private func install(_ continuation: CheckedContinuation<AsyncOutcome<T>, Never>) {
        let early = state.withLock { state -> AsyncOutcome<T>? in
            if let early = state.early {
                state.early = nil
                return early
            }
            state.continuation = continuation
            return nil
        }
        if let early { continuation.resume(returning: early) }
    }

    private func track(_ tasks: [Task<Void, Never>]) {
        let finished = state.withLock { state -> Bool in
            if !state.finished { state.tasks = tasks }
            return state.finished
        }
        if finished {
            for task in tasks { task.cancel() }
        }
    }

    /// The first call wins; later ones do nothing.
    private func finish(_ outcome: AsyncOutcome<T>) {
        let (continuation, tasks) = state.withLock { state -> (CheckedContinuation<AsyncOutcome<T>, Never>?, [Task<Void, Never>]) in
            guard !state.finished else { return (nil, []) }
            state.finished = true
            let continuation = state.continuation
            state.continuation = nil
            if continuation == nil { state.early = outcome }
            let tasks = state.tasks
            state.tasks = []
            return (continuation, tasks)
        }
        for task in tasks { task.cancel() }
        continuation?.resume(returning: outcome)
    }
}
