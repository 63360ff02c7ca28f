/// Whether a breaker rejects calls, or only reports what it would have rejected.
///
/// ```swift
/// var configuration = CircuitBreaker.Configuration.default
/// configuration.enforcement = .shadow   // tune thresholds in production before turning them on
/// ```
/// A shadow breaker trips, waits and probes exactly as an enforcing one, but runs every call: a call it would have
/// rejected runs anyway, is reported to monitors as *shadow-rejected* (``BreakerMonitor/callShadowRejected(_:state:)``,
/// `outcome="shadow_rejected"` in Prometheus) and then as its own outcome, and is not recorded in the breaker's
/// window, since an enforcing breaker would not have run it. A struct over a private enum, so that modes can be
/// added without breaking code that uses them.
public struct Enforcement: Sendable, Hashable, CustomStringConvertible {
    private enum Backing: Sendable, Hashable {
        case enforcing
        case shadow
    }

    private let backing: Backing

    private init(_ backing: Backing) {
        self.backing = backing
    }

    /// Rejects calls while open, forced open, or half-open with every trial slot taken (the default).
    public static let enforcing = Enforcement(.enforcing)
    /// Runs every call and reports the ones it would have rejected.
    public static let shadow = Enforcement(.shadow)

    /// Whether calls are really rejected.
    public var rejectsCalls: Bool { backing == .enforcing }

    /// `enforcing` or `shadow`.
    public var description: String {
        switch backing {
        case .enforcing: "enforcing"
        case .shadow: "shadow"
        }
    }
}
