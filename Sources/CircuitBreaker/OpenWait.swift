import CircuitBreakerInternals
/// How long an open breaker waits before it lets trial calls through.
public enum OpenWait: Sendable, Hashable {
    /// The same wait every time.
    case fixed(Duration)
    /// `initial`, multiplied by `multiplier` for each consecutive reopen (half-open trial failed), capped at
    /// `maximum`, then spread by ± `jitter` (a fraction in [0, 1)) so a fleet does not probe in lockstep.
    /// The growth resets when the breaker closes.
    case exponential(initial: Duration, multiplier: Double = 2, maximum: Duration, jitter: Double = 0)

    /// The wait after `reopens` consecutive reopens (0 for the first trip), with `random` drawn from [0, 1).
    func wait(afterReopens reopens: Int, random: Double) -> Duration {
        switch self {
        case .fixed(let duration):
            return duration
        case .exponential(let initial, let multiplier, let maximum, let jitter):
            let initialNanos = Double(initial.nanoseconds)
            let maximumNanos = Double(maximum.nanoseconds)
            var nanos = initialNanos
            var step = 0
            while step < reopens && nanos < maximumNanos {
                nanos *= multiplier
                step += 1
            }
            nanos = min(nanos, maximumNanos)
            if jitter > 0 {
                nanos *= 1 + jitter * (2 * random - 1)
            }
            return .nanoseconds(Int64(max(nanos, 1)))
        }
    }
}
