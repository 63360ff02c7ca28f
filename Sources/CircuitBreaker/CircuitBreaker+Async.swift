// Asynchronous calls, with the invocation timeout. These overloads are disfavoured so that a synchronous closure
// passed from an async context still picks the synchronous `execute` (no `await`, no hop); an async closure can
// only match these.
extension CircuitBreaker {
    /// Runs `operation` if the breaker admits it and records the outcome.
    ///
    /// The operation's errors are rethrown unchanged; a rejected call throws ``CallRejectedError``. With an
    /// ``Configuration/invocationTimeout``, the operation runs in a task of its own (which inherits the caller's
    /// priority and task-local values) and its deadline is armed with the clock's shared deadline scheduler, not a
    /// timer task: when the deadline passes first, the operation's task is cancelled, the call is recorded as a
    /// timeout and ``CallTimeoutError`` is thrown at once, even if the operation ignores cancellation (it is
    /// abandoned, and its late result is dropped). A call that finishes first takes its deadline out. Cancelling
    /// the caller's task cancels the operation; `CancellationError` is not a failure under the default classifier.
    @inlinable @_disfavoredOverload
    public func execute<T: Sendable>(_ operation: @escaping @Sendable () async throws -> T) async throws -> T {
        try await execute(treatingResultAsFailure: { _ in false }, operation)
    }

    /// Runs `operation` like the async `execute(_:)`, and counts a returned value as a failure when
    /// `isFailure` says so. The value is returned to the caller either way.
    @inlinable @_disfavoredOverload
    public func execute<T: Sendable>(
        treatingResultAsFailure isFailure: (T) -> Bool,
        _ operation: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        let permit = try admit()
        switch await invoke(operation) {
        case .value(let value):
            if isFailure(value) {
                recordFailure(permit, error: nil)
            } else {
                recordSuccess(permit)
            }
            return value
        case .error(let error):
            _ = recordError(error, permit)
            throw error
        case .timedOut(let timeout):
            recordFailure(permit, error: nil, timeout: timeout.timeout)
            throw timeout
        }
    }

    /// Runs `operation`, or `fallback` when the breaker rejects the call, and, as the configuration's
    /// ``Configuration/fallbackTriggers`` say, when the operation fails or times out. The fallback receives the
    /// reason; its errors propagate.
    @inlinable @_disfavoredOverload
    public func execute<T: Sendable>(
        _ operation: @escaping @Sendable () async throws -> T,
        fallback: (FallbackReason) async throws -> T
    ) async throws -> T {
        let permit: Permit
        switch admission() {
        case .admitted(let admitted): permit = admitted
        case .rejected(let rejection): return try await runFallback(.rejected(rejection), fallback)
        }
        switch await invoke(operation) {
        case .value(let value):
            recordSuccess(permit)
            return value
        case .error(let error):
            if recordError(error, permit) && configuration.fallbackTriggers.contains(.failure) {
                return try await runFallback(.failed(error), fallback)
            }
            throw error
        case .timedOut(let timeout):
            recordFailure(permit, error: nil, timeout: timeout.timeout)
            if configuration.fallbackTriggers.contains(.timeout) {
                return try await runFallback(.timedOut(timeout), fallback)
            }
            throw timeout
        }
    }

    @inlinable
    func runFallback<T>(_ reason: FallbackReason, _ fallback: (FallbackReason) async throws -> T) async throws -> T {
        do {
            let value = try await fallback(reason)
            if hasCallMonitors { callMonitor.fallbackCompleted(self, reason: reason, succeeded: true) }
            return value
        } catch {
            if hasCallMonitors { callMonitor.fallbackCompleted(self, reason: reason, succeeded: false) }
            throw error
        }
    }

    /// Runs the operation, bounded by the invocation timeout if there is one (see `TimeoutRace`).
    @inlinable
    func invoke<T: Sendable>(_ operation: @escaping @Sendable () async throws -> T) async -> AsyncOutcome<T> {
        guard let timeout = configuration.invocationTimeout else {
            do {
                return .value(try await operation())
            } catch {
                return .error(error)
            }
        }
        return await TimeoutRace<T>.run(operation, timeout: timeout, clock: clock, breakerName: name)
    }
}

/// How an async operation ended.
@usableFromInline
enum AsyncOutcome<T: Sendable>: Sendable {
    case value(T)
    case error(any Error)
    case timedOut(CallTimeoutError)
}
