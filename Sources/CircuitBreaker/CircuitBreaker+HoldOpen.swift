import CircuitBreakerInternals

// A dependency's own advice about when to call again (HTTP `Retry-After`).
extension CircuitBreaker {
    /// Keeps an open breaker open for at least `delay` from now: a dependency that answered "busy, retry after 2
    /// minutes" (HTTP 503 or 429 with `Retry-After`) is not probed sooner.
    ///
    /// Only an open breaker is affected, after the transitions time has made due (an open breaker whose wait has
    /// elapsed is half-open, and stays so); a closed breaker is not opened by it, and a shorter delay than the
    /// wait left changes nothing. The wait never ends earlier than it would have. A delay is capped at
    /// ``maximumHoldOpen`` so that a peer's `Retry-After` cannot hold a breaker open for years; a delay of zero or
    /// less does nothing.
    ///
    /// Call it after recording the outcome that carried the advice, so that a failure that trips the breaker is
    /// held open as advised. Rejections report the new `retryAfter`.
    ///
    /// - Returns: whether the open wait was extended.
    @discardableResult
    public func holdOpen(for delay: Duration) -> Bool {
        let delayNanos = min(delay.nanoseconds, Self.maximumHoldOpen.nanoseconds)
        guard delayNanos > 0 else { return false }
        let now = clock.coarseNanoseconds()
        return transact { machine in
            makeDueTransitions(&machine, now: now)
            let current = ControlWord(rawValue: control.load(ordering: .relaxed))
            let (until, overflow) = now.addingReportingOverflow(delayNanos)
            let extended = overflow ? Int64.max : until
            guard current.isOpen, extended > openUntil.load(ordering: .relaxed) else { return false }
            openUntil.store(extended, ordering: .relaxed)
            return true
        }
    }

    /// The longest ``holdOpen(for:)`` holds a breaker open: one day.
    public static let maximumHoldOpen: Duration = .seconds(86_400)
}
