import CircuitBreakerInternals

/// How long an open breaker waits before it lets trial calls through.
///
/// ```swift
/// .fixed(.seconds(30))
/// .exponential(initial: .seconds(5), multiplier: 2, maximum: .seconds(120), jitter: 0.1)
/// ```
/// A struct with static constructors rather than an enum, so that kinds of wait can be added without breaking
/// code that uses them. Every wait is described by the same four numbers; a fixed wait has a multiplier of 1 and
/// no jitter.
public struct OpenWait: Sendable, Hashable, CustomStringConvertible {
    /// The first wait, after the breaker trips.
    public let initial: Duration
    /// The factor applied for each consecutive reopen (a half-open trial failed); 1 for a fixed wait.
    public let multiplier: Double
    /// The longest wait.
    public let maximum: Duration
    /// The spread, a fraction in [0, 1): each wait is multiplied by a random factor in `1 ± jitter`, so that a
    /// fleet does not probe in lockstep.
    public let jitter: Double

    private init(initial: Duration, multiplier: Double, maximum: Duration, jitter: Double) {
        self.initial = initial
        self.multiplier = multiplier
        self.maximum = maximum
        self.jitter = jitter
    }

    /// The same wait every time.
    public static func fixed(_ duration: Duration) -> OpenWait {
        OpenWait(initial: duration, multiplier: 1, maximum: duration, jitter: 0)
    }

    /// `initial`, multiplied by `multiplier` for each consecutive reopen (half-open trial failed), capped at
    /// `maximum`, then spread by ± `jitter`. The growth resets when the breaker closes.
    public static func exponential(
        initial: Duration,
        multiplier: Double = 2,
        maximum: Duration,
        jitter: Double = 0
    ) -> OpenWait {
        OpenWait(initial: initial, multiplier: multiplier, maximum: maximum, jitter: jitter)
    }

    /// For example `30 seconds` or `5 seconds × 2 up to 120 seconds ± 10 %`.
    public var description: String {
        guard multiplier != 1 || jitter != 0 || maximum != initial else { return "\(initial)" }
        let spread = jitter > 0 ? " ± \(Int((jitter * 100).rounded())) %" : ""
        return "\(initial) × \(multiplier) up to \(maximum)\(spread)"
    }

    /// The wait after `reopens` consecutive reopens (0 for the first trip), with `random` drawn from [0, 1).
    func wait(afterReopens reopens: Int, random: Double) -> Duration {
        let initialNanos = Double(initial.nanoseconds)
        let maximumNanos = Double(maximum.nanoseconds)
        var nanos = initialNanos
        var step = 0
        while step < reopens && nanos < maximumNanos && multiplier > 1 {
            nanos *= multiplier
            step += 1
        }
        nanos = min(nanos, maximumNanos)
        if jitter > 0 {
            nanos *= 1 + jitter * (2 * random - 1)
        }
        return .nanoseconds(Int64(max(nanos, 1)))
    }

    /// Throws a ``ConfigurationError`` for the first invalid value.
    func validate() throws(ConfigurationError) {
        try ConfigurationError.requirePositive(initial, "openWait.initial")
        try ConfigurationError.requirePositive(maximum, "openWait.maximum")
        if !(multiplier >= 1) || !multiplier.isFinite {
            throw ConfigurationError(.outOfRange, field: "openWait.multiplier", reason: "\(multiplier) is not ≥ 1")
        }
        if maximum < initial {
            throw ConfigurationError(
                .inconsistent,
                field: "openWait.maximum",
                reason: "\(maximum) is shorter than the initial wait \(initial)"
            )
        }
        if !(jitter >= 0 && jitter < 1) {
            throw ConfigurationError(.outOfRange, field: "openWait.jitter", reason: "\(jitter) is not in [0, 1)")
        }
    }
}
