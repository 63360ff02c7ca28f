import CircuitBreaker

/// One step of a model-based run: what a caller, an operator or time does to the breaker.
enum ModelOperation: CustomStringConvertible {
    /// A call asks to run and, if admitted, stays in flight as call `id`.
    case start(id: Int)
    /// Call `id`, if it is in flight, ends now with the outcome.
    case finish(id: Int, ReferenceBreaker.Outcome)
    /// A call through the public API that takes `takes` nanoseconds of the clock and ends with the outcome.
    case call(ReferenceBreaker.Outcome, takes: Int64, api: CallAPI)
    /// Time passes.
    case advance(Int64)
    case readState
    case readGeneration
    case snapshot
    case readOverride
    /// An override of `action` that ends `ttl` nanoseconds from now (negative: already over).
    case apply(BreakerOverride.Action, ttl: Int64)
    case clearOverride
    /// A dependency's `Retry-After` of `delay` nanoseconds.
    case holdOpen(Int64)
    case reset
    case forceOpen
    case disable

    /// The public entry points a `.call` goes through.
    enum CallAPI: CaseIterable {
        case execute
        case typed
        case fallback
    }

    /// Whether the real breaker must have made every due transition after this step: the steps that read it,
    /// call it or act on it (an override that has already expired changes nothing, so it is not one of them).
    var settles: Bool {
        switch self {
        case .start, .readState, .readGeneration, .snapshot, .readOverride, .clearOverride, .reset, .forceOpen,
            .disable:
            true
        case .holdOpen(let delay):
            delay > 0
        case .call(_, let takes, _):
            // Its admission settles the breaker, but time moves on while it runs.
            takes == 0
        case .apply(let action, let ttl):
            action == .reset || ttl > 0
        case .finish, .advance:
            false
        }
    }

    var description: String {
        switch self {
        case .start(let id): "start call \(id)"
        case .finish(let id, let outcome): "finish call \(id): \(outcome)"
        case .call(let outcome, let takes, let api): "call (\(api)) taking \(takes) ns: \(outcome)"
        case .advance(let nanos): "advance \(nanos) ns"
        case .readState: "read state"
        case .readGeneration: "read generation"
        case .snapshot: "snapshot"
        case .readOverride: "read active override"
        case .apply(let action, let ttl): "apply override \(action) for \(ttl) ns"
        case .clearOverride: "clear override"
        case .holdOpen(let delay): "hold open for \(delay) ns"
        case .reset: "reset"
        case .forceOpen: "force open"
        case .disable: "disable"
        }
    }
}

