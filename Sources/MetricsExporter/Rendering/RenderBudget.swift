import CircuitBreakerInternals

/// Bounds the memory of the exposition by design: at most ``renders`` renders' bodies exist at once.
///
/// Concurrent scrapes share a render's bodies, and a response sends its body without copying it, so a
/// connection's memory does not grow with the body. What could grow is the number of renders alive at once: a body
/// lives until the last response sending it is done, and under a burst of large scrapes new renders start while
/// the earlier ones are still being sent (each several megabytes at a thousand breakers). So every render holds a
/// permit (a ``RenderPermit``) from before its source runs until its last body is gone; the render thread waits for
/// a permit when all are out. A body's last response ends when its client has taken it, or when the request
/// deadline cuts the client (counted in `metrics_exporter_request_timeouts_total`), so the wait is bounded; scrapes
/// waiting meanwhile keep their own deadline (503 at half the request timeout).
///
/// The memory of the exposition is then at most ``renders`` times the bodies of one render (each offered format
/// plain and compressed), plus the buffers pooled for reuse, and it does not depend on the number of scrapers.
final class RenderBudget: Sendable {
    private struct State {
        var available: Int
        var closed = false
    }

    /// Renders whose bodies may exist at once: the latest (kept for scrapes that may share it), one still being
    /// sent, and one being rendered.
    static let defaultRenders = 3

    /// The number of permits.
    let renders: Int
    private let state: Locked<State>

    init(renders: Int = RenderBudget.defaultRenders) {
        self.renders = max(2, renders)
        self.state = Locked(State(available: max(2, renders)))
    }

    /// Waits until a permit is free and takes it; `nil` once the budget is closed (the server is stopping).
    func acquire() -> RenderPermit? {
        while true {
            let taken = self.state.withLock { state -> Bool? in
                if state.closed { return nil }
                guard state.available > 0 else { return false }
                state.available -= 1
                return true
            }
            switch taken {
            case nil: return nil
            case true?: return RenderPermit(budget: self)
            case false?:
                _ = self.state.wait(until: { $0.available > 0 || $0.closed }, deadlineMonotonicNanoseconds: .max)
            }
        }
    }

    /// Permits out now (a test hook).
    var inUse: Int {
        self.state.withLock { self.renders - $0.available }
    }

    /// Wakes a render waiting for a permit and refuses it one.
    func close() {
        self.state.updateAndBroadcast { $0.closed = true }
    }

    fileprivate func release() {
        self.state.updateAndBroadcast { $0.available += 1 }
    }
}

/// One render's permit: the render's bodies hold it, and the last one gone returns it.
final class RenderPermit: Sendable {
    private let budget: RenderBudget

    fileprivate init(budget: RenderBudget) {
        self.budget = budget
    }

    deinit {
        self.budget.release()
    }
}
