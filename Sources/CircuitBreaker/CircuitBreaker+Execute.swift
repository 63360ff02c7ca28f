// Synchronous calls.
extension CircuitBreaker {
    /// Runs `operation` if the breaker admits it and records the outcome.
    ///
    /// The operation's errors are rethrown unchanged; a rejected call throws ``CallRejectedError``. Synchronous
    /// operations cannot be interrupted, so ``Configuration/invocationTimeout`` does not apply (durations are
    /// still measured for the slow-call threshold).
    ///
    /// A rejection thrown through untyped `throws` is boxed by Swift (one allocation); ``executeTyped(_:)`` or a
    /// call with a fallback rejects without allocating.
    @inlinable
    public func execute<T>(_ operation: () throws -> T) throws -> T {
        // The constant predicate is inlined away: this costs the same as a dedicated body.
        try execute(treatingResultAsFailure: { _ in false }, operation)
    }

    /// Runs `operation` like the synchronous `execute(_:)`, and counts a returned value as a failure when
    /// `isFailure` says so (an HTTP 503 response, say). The value is returned to the caller either way.
    @inlinable
    public func execute<T>(treatingResultAsFailure isFailure: (T) -> Bool, _ operation: () throws -> T) throws -> T {
        let permit = try admit()
        let value: T
        do {
            value = try operation()
        } catch {
            _ = recordError(error, permit)
            throw error
        }
        if isFailure(value) {
            recordFailure(permit, error: nil)
        } else {
            recordSuccess(permit)
        }
        return value
    }

    /// Runs `operation`, or `fallback` when the breaker rejects the call (and, if the configuration's
    /// ``Configuration/fallbackTriggers`` include `.failure`, when the operation fails). The fallback receives the
    /// reason, so it can serve cached or default data; its errors propagate.
    @inlinable
    public func execute<T>(_ operation: () throws -> T, fallback: (FallbackReason) throws -> T) throws -> T {
        let permit: Permit
        switch admission() {
        case .admitted(let admitted): permit = admitted
        case .rejected(let rejection): return try runFallback(.rejected(rejection), fallback)
        }
        let value: T
        do {
            value = try operation()
        } catch {
            if recordError(error, permit) && configuration.fallbackTriggers.contains(.failure) {
                return try runFallback(.failed(error), fallback)
            }
            throw error
        }
        recordSuccess(permit)
        return value
    }

    /// Runs `operation` with typed errors: a rejection is ``BreakerCallError/rejected(_:)``, an error of the
    /// operation ``BreakerCallError/failed(_:)``. Nothing is boxed, so a rejection costs no allocation.
    @inlinable
    public func executeTyped<T, Failure: Error>(
        _ operation: () throws(Failure) -> T
    ) throws(BreakerCallError<Failure>) -> T {
        let permit: Permit
        switch admission() {
        case .admitted(let admitted): permit = admitted
        case .rejected(let rejection): throw .rejected(rejection)
        }
        let value: T
        do {
            value = try operation()
        } catch {
            _ = recordError(error, permit)
            throw .failed(error)
        }
        recordSuccess(permit)
        return value
    }

    @inlinable
    func runFallback<T>(_ reason: FallbackReason, _ fallback: (FallbackReason) throws -> T) throws -> T {
        do {
            let value = try fallback(reason)
            if hasCallMonitors { callMonitor.fallbackCompleted(self, reason: reason, succeeded: true) }
            return value
        } catch {
            if hasCallMonitors { callMonitor.fallbackCompleted(self, reason: reason, succeeded: false) }
            throw error
        }
    }
}

/// The error of ``CircuitBreaker/executeTyped(_:)``: the breaker rejected the call, or the operation failed.
public enum BreakerCallError<Failure: Error>: Error {
    /// The breaker did not run the operation.
    case rejected(CallRejectedError)
    /// The operation threw this error (already recorded as a failure or an ignored call).
    case failed(Failure)
}
