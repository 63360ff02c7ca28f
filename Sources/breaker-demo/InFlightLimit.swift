import Synchronization

/// At most ``limit`` calls at once: a turn that finds them all taken is skipped and counted rather than queued, so
/// an upstream that stops answering cannot pile up requests behind it (each call is bounded by its timeouts as well).
final class InFlightLimit: Sendable {
    /// The most calls running at once.
    let limit: Int
    private let running = Atomic<Int>(0)
    private let skippedCalls = Atomic<Int>(0)

    /// A limit of `limit` calls (at least one).
    init(limit: Int) {
        self.limit = max(1, limit)
    }

    /// The turns skipped so far because ``limit`` calls were running.
    var skipped: Int { skippedCalls.load(ordering: .relaxed) }

    /// Runs `call` unless ``limit`` calls are already running.
    ///
    /// - Returns: whether `call` ran.
    func run(_ call: () async -> Void) async -> Bool {
        guard running.wrappingAdd(1, ordering: .relaxed).newValue <= limit else {
            running.wrappingSubtract(1, ordering: .relaxed)
            skippedCalls.wrappingAdd(1, ordering: .relaxed)
            return false
        }
        await call()
        running.wrappingSubtract(1, ordering: .relaxed)
        return true
    }
}
