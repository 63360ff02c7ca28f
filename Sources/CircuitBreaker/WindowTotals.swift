/// What a sliding window holds.
@usableFromInline
struct WindowTotals: Sendable, Hashable {
    @usableFromInline
    var calls: Int
    @usableFromInline
    var failures: Int
    @usableFromInline
    var slowCalls: Int

    @inlinable
    init(calls: Int, failures: Int, slowCalls: Int) {
        self.calls = calls
        // Concurrent updates can leave a counter briefly one off the slots; never report more than the calls.
        self.failures = min(max(failures, 0), max(calls, 0))
        self.slowCalls = min(max(slowCalls, 0), max(calls, 0))
    }

    static let empty = WindowTotals(calls: 0, failures: 0, slowCalls: 0)

    /// The failure and slow-call ratios, or zero below `minimumCalls`.
    func ratios(minimumCalls: Int) -> (failure: Double, slow: Double) {
        guard calls > 0, calls >= minimumCalls else { return (0, 0) }
        return (Double(failures) / Double(calls), Double(slowCalls) / Double(calls))
    }
}
