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
/// **Race freedom.** The three parties (the operation's task, the scheduler at the deadline, the caller's
/// cancellation handler) each try to *claim* the race, under the scheduler's lock; only the first succeeds, so the
/// continuation is resumed exactly once and the outcome recorded is that of the winner. The caller creates the
/// operation's task and then arms the deadline, also under the lock; a party that wins before the arming finds no
/// continuation yet and leaves its outcome in `early`, which the arming delivers instead of arming. The loser's
/// outcome is dropped: a late result changes nothing. Whoever wins other than the operation cancels the operation's
/// task, after releasing the lock, since cancellation runs the operation's handlers, which may take this lock (a
/// sleep on the same ``ManualClock``).
// Safety (@unchecked Sendable): `continuation`, `task` and `early`, like the entry's fields, are read and written
// only with the scheduler's lock held, except in `expire()`, which runs after the scheduler claimed the race: from
// then on no other party touches them (claiming fails for all others), and the lock ordered the writes before the
// claim. So exclusive access is guaranteed by the lock, and the dynamic exclusivity checks are left out.
@usableFromInline
final class TimeoutRace<T: Sendable>: ScheduledDeadline, @unchecked Sendable {
    @usableFromInline let operation: @Sendable () async throws -> T
    @usableFromInline let scheduler: DeadlineScheduler
    @usableFromInline let breakerName: String
    @usableFromInline let timeout: Duration

    @usableFromInline @exclusivity(unchecked) var continuation: UnsafeContinuation<AsyncOutcome<T>, Never>?
    @usableFromInline @exclusivity(unchecked) var task: Task<Void, any Error>?
    /// The outcome of a party that won before the race was armed (an `AsyncOutcome<T>`). Type-erased, so that no
    /// stored property's layout depends on `T`: the class's deinit is not specialized, and a `T`-dependent field
    /// would make it look up metadata on every call (measured: about 300 instructions). Boxing it costs an
    /// allocation only in that rare case.
    @usableFromInline @exclusivity(unchecked) var early: (any Sendable)?

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
                // Not detached: the operation sees the caller's priority and task-local values, as it would inline.
                // A throwing closure, although it never throws: `Task`'s non-throwing initializer wraps its
                // operation in a throwing one, which costs an allocation per call.
                let task = Task { () async throws in await race.runOperation() }
                race.arm(continuation, task: task, deadline: deadline)
            }
        } onCancel: {
            race.finish(.error(CancellationError()), cancelsOperation: true)
        }
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
        case armed
        case due
        case finished(AsyncOutcome<T>)
    }

    /// Hands the race its continuation and the operation's task, and arms the deadline; or, if a party won
    /// before, delivers its outcome.
    @inlinable
    func arm(_ continuation: UnsafeContinuation<AsyncOutcome<T>, Never>, task: Task<Void, any Error>, deadline: Int64) {
        let start: Start
        scheduler.lock()
        if claimed {
            // Claimed before it was armed, so `finish` left its outcome here (there is always one).
            start = .finished(early as? AsyncOutcome<T> ?? .error(CancellationError()))
            early = nil
        } else {
            self.continuation = continuation
            self.task = task
            start = scheduler.armLocked(self, at: deadline) ? .armed : .due
        }
        scheduler.unlock()
        switch start {
        case .armed:
            break
        case .due:
            expire()
        case .finished(let outcome):
            // Won by the caller's cancellation, or by an operation already done: cancelling a finished task does
            // nothing.
            task.cancel()
            continuation.resume(returning: outcome)
        }
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
            early = outcome
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
