/// An operator's time-limited decision about a breaker: force it open, disable it, or reset it, with a reason,
/// who made it, and when it ends.
///
/// Apply one with ``CircuitBreaker/apply(_:restored:)``. A forced-open or disabled breaker returns to automatic
/// control (closed, with a fresh window) by itself once the override expires: like the open wait, the expiry is
/// noticed by the next call or read of the state, with no timer thread. A reset takes effect at once and leaves
/// no override in place.
public struct BreakerOverride: Sendable, Hashable, CustomStringConvertible {
    /// What the override does.
    public struct Action: Sendable, Hashable, CustomStringConvertible, NamedChoice {
        enum Backing: String, Sendable, Hashable, CaseIterable {
            case forceOpen = "force_open"
            case disable = "disable"
            case reset = "reset"
        }

        let backing: Backing

        init(backing: Backing) {
            self.backing = backing
        }

        /// The action whose ``rawValue`` is `rawValue` (`force_open`, `disable`, `reset`), if there is one.
        public init?(rawValue: String) {
            self.init(named: rawValue)
        }

        /// Rejects every call until the override ends.
        public static let forceOpen = Action(backing: .forceOpen)
        /// Lets every call through, never tripping, until the override ends.
        public static let disable = Action(backing: .disable)
        /// Closes the breaker now and clears its window (and any override).
        public static let reset = Action(backing: .reset)

        /// Every action this version knows.
        public static let allCases: [Action] = everyKnownValue

        /// `force_open`, `disable` or `reset`: the label of `circuit_breaker_overrides_total` and of the API.
        public var rawValue: String { backing.rawValue }

        /// Same as ``rawValue``.
        public var description: String { rawValue }

        /// The state the breaker is held in while the override lasts.
        var heldState: CircuitState {
            switch backing {
            case .forceOpen: .forcedOpen
            case .disable: .disabled
            case .reset: .closed
            }
        }
    }

    /// What it does.
    public let action: Action
    /// Why, in the operator's words.
    public let reason: String
    /// Who applied it (the authenticated user, say).
    public let actor: String
    /// When it was applied, in seconds since the Unix epoch.
    public let appliedAt: Double
    /// When it ends, in seconds since the Unix epoch.
    public let expiresAt: Double

    /// Creates an override that ends `expiresAt` (seconds since the Unix epoch).
    public init(action: Action, reason: String, actor: String, appliedAt: Double, expiresAt: Double) {
        self.action = action
        self.reason = reason
        self.actor = actor
        self.appliedAt = appliedAt
        self.expiresAt = expiresAt
    }

    /// For example `force_open by alice until 1700003600 (payments provider incident)`.
    public var description: String {
        "\(action) by \(actor) until \(expiresAt) (\(reason))"
    }
}
