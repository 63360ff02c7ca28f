import CircuitBreakerInternals

/// One async call under an invocation timeout: the operation runs in a task of its own while the caller waits for
/// whichever comes first, the operation's outcome, the deadline, or the caller's cancellation.
///
/// The deadline is an entry in the clock's ``DeadlineScheduler``, not a timer task: arming it and taking it out
/// again when the operation finishes first cost a lock each. When the deadline passes, the scheduler cancels the
/// operation's task and resumes the caller with ``CallTimeoutError`` at once.
///
/// Why the operation needs a task of its own, and why an unstructured one: the caller must be able to return while
/// an operation that ignores cancellation is still running. Were the operation to run on the caller's task, the
/// caller's frame would be busy under it until it returned; a task group or `async let` would wait for it at the
/// end of its scope. So the operation is abandoned in its own task, which keeps running to its end, and its late
/// outcome is dropped. The caller's task only waits, on a continuation.
///
/// **Race freedom.** The three parties (the operation's task, the scheduler at the deadline, the caller's cancellation
/// handler) each try to *claim* the race, under the scheduler's lock; only the first succeeds, so the continuation is
/// resumed exactly once and the outcome recorded is that of the winner. The caller hands the race its continuation and
/// arms the deadline first, under the lock, and only then creates the operation's task: so the operation always finds
/// the continuation, and no outcome ever waits in a box. Only the caller's cancellation can win before the arming (its
/// handler runs at once when the caller is already cancelled); the arming then finds the race claimed, answers
/// `CancellationError`, and starts the operation already cancelled. The task is handed to the race after it is created,
/// under the lock: if a party other than the operation won in between (the deadline, or the caller's cancellation), it
/// found no task to cancel, so the handing-over cancels it. Whoever wins other than the operation cancels the
/// operation's task, after releasing the lock, since cancellation runs the operation's handlers, which may take this
/// lock (a sleep on the same ``ManualClock``). The loser's outcome is dropped: a late result changes nothing.
// Safety (@unchecked Sendable): `continuation` and `task`, like the entry's fields, are read and written only with the
// scheduler's lock held, except in `expire()`, which runs after the scheduler claimed the race: from then on no other
// party writes them (claiming fails for all others, and the task is handed over only to an unclaimed race), and the
// lock ordered the earlier writes before the claim. So exclusive access is guaranteed by the lock, and the dynamic
// exclusivity checks are left out.
@usableFromInline
final class TimeoutRace<T: Sendable>: ScheduledDeadline, @unchecked Sendable {
    @usableFromInline let operation: @Sendable () async throws -> T
    @usableFromInline let scheduler: DeadlineScheduler
    @usableFromInline let breakerName: String
    @usableFromInline let timeout: Duration

    @usableFromInline @exclusivity(unchecked) var continuation: UnsafeContinuation<AsyncOutcome<T>, Never>?
    @usableFromInline @exclusivity(unchecked) var task: Task<Void, any Error>?

    @inlinable
    init(
        _ operation: @escaping @Sendable () async throws -> T,
        scheduler: DeadlineScheduler,
        breakerName: String,
        timeout: Duration
    ) {
        self.operation = operation
        self.scheduler = scheduler
        self.breakerName = breakerName
        self.timeout = timeout
    }

    /// Runs `operation` under `timeout` on `clock`, and returns its outcome, the timeout, or `CancellationError`
    /// when the caller is cancelled first.
    @inlinable
    static func run(
        _ operation: @escaping @Sendable () async throws -> T,
        timeout: Duration,
        clock: BreakerClock,
        breakerName: String
    ) async -> AsyncOutcome<T> {
        let deadline = clock.deadline(after: timeout)
        let race = TimeoutRace(operation, scheduler: clock.deadlineScheduler, breakerName: breakerName, timeout: timeout)
        return await withTaskCancellationHandler {
            await withUnsafeContinuation { continuation in
                switch race.arm(continuation, deadline: deadline) {
                case .armed:
                    race.hand(over: race.startOperation())
                case .due:
                    // A deadline already past (a manual clock): the operation starts and is cancelled at once, as
                    // it would be at a deadline that passes while it runs.
                    race.startOperation().cancel()
                    race.expire()
                case .cancelled:
                    // The operation still starts, cancelled, as it would run without a timeout in a cancelled task.
                    race.startOperation().cancel()
                    continuation.resume(returning: .error(CancellationError()))
                }
            }
        } onCancel: {
            race.finish(.error(CancellationError()), cancelsOperation: true)
        }
    }

    /// Starts the operation in a task of its own.
    @inlinable
    func startOperation() -> Task<Void, any Error> {
        // Not detached: the operation sees the caller's priority and task-local values, as it would inline. A
        // throwing closure, although it never throws: `Task`'s non-throwing initializer wraps its operation in a
        // throwing one, which costs an allocation per call.
        Task { () async throws in await self.runOperation() }
    }

    @inlinable
    func runOperation() async {
        do {
            finish(.value(try await operation()), cancelsOperation: false)
        } catch {
            finish(.error(error), cancelsOperation: false)
        }
    }

    /// What `arm` found.
    @usableFromInline
    enum Start {
        /// The deadline is armed: start the operation and hand its task over.
        case armed
        /// The deadline has passed already (a manual clock); the race is claimed for the scheduler.
        case due
        /// The caller was cancelled before the race was armed: answer `CancellationError` (the operation starts
        /// cancelled).
        case cancelled
    }

    /// Hands the race its continuation and arms the deadline, unless the caller's cancellation won before.
    @inlinable
    func arm(_ continuation: UnsafeContinuation<AsyncOutcome<T>, Never>, deadline: Int64) -> Start {
        scheduler.lock()
        defer { scheduler.unlock() }
        if claimed {
            // Only the caller's cancellation can claim a race not yet armed (see `finish`).
            return .cancelled
        }
        self.continuation = continuation
        return scheduler.armLocked(self, at: deadline) ? .armed : .due
    }

    /// Hands the race the operation's task, created after the arming; cancels it at once if the deadline or the
    /// caller's cancellation won in between (they found no task to cancel). If the operation itself won, its task
    /// is finishing: cancelling it changes nothing.
    @inlinable
    func hand(over task: Task<Void, any Error>) {
        scheduler.lock()
        let won = claimed
        if !won { self.task = task }
        scheduler.unlock()
        if won { task.cancel() }
    }

    /// The operation's outcome, or the caller's cancellation: delivered if it comes first, dropped otherwise.
    @inlinable
    func finish(_ outcome: AsyncOutcome<T>, cancelsOperation: Bool) {
        scheduler.lock()
        guard scheduler.claimLocked(self) else {
            scheduler.unlock()
            return
        }
        guard let continuation else {
            // Not armed yet, so this is the caller's cancellation (the operation starts only after the arming): the
            // arming finds the race claimed and answers `CancellationError` itself.
            scheduler.unlock()
            return
        }
        let task = self.task
        self.continuation = nil
        self.task = nil
        scheduler.unlock()
        if cancelsOperation { task?.cancel() }
        continuation.resume(returning: outcome)
    }

    /// The deadline passed first: cancel the operation and answer the caller now, without waiting for it.
    @inlinable
    override func expire() {
        let continuation = self.continuation
        let task = self.task
        self.continuation = nil
        self.task = nil
        task?.cancel()
        continuation?.resume(returning: .timedOut(CallTimeoutError(breakerName: breakerName, timeout: timeout)))
    }
}
