public import CircuitBreaker
import CircuitBreakerInternals

/// A monitor that keeps every event it receives, for assertions in tests.
///
/// ```swift
/// let recorder = RecordingMonitor()
/// let breaker = try CircuitBreaker(name: "db", configuration: .consecutiveFailures(2), monitors: [recorder])
/// // … drive the breaker …
/// #expect(recorder.transitions.map(\.to) == [.open])
/// ```
/// Events from all breakers it is attached to are kept in arrival order, each tagged with the breaker's name.
public final class RecordingMonitor: BreakerMonitor {
    /// One recorded event.
    public enum Event: Sendable, CustomStringConvertible {
        /// ``/CircuitBreaker/BreakerMonitor/didAttach(to:)``.
        case attached(breaker: String)
        /// ``/CircuitBreaker/BreakerMonitor/didDetach(from:)``.
        case detached(breaker: String)
        /// ``/CircuitBreaker/BreakerMonitor/callSucceeded(_:duration:)``.
        case succeeded(breaker: String, duration: Duration?)
        /// ``/CircuitBreaker/BreakerMonitor/callFailed(_:error:duration:)``.
        case failed(breaker: String, error: any Error, duration: Duration?)
        /// ``/CircuitBreaker/BreakerMonitor/callIgnored(_:error:duration:)``.
        case ignored(breaker: String, error: any Error, duration: Duration?)
        /// ``/CircuitBreaker/BreakerMonitor/callTimedOut(_:duration:)``.
        case timedOut(breaker: String, duration: Duration)
        /// ``/CircuitBreaker/BreakerMonitor/callRejected(_:state:)``.
        case rejected(breaker: String, state: CircuitState)
        /// ``/CircuitBreaker/BreakerMonitor/slowCall(_:duration:)``.
        case slow(breaker: String, duration: Duration)
        /// ``/CircuitBreaker/BreakerMonitor/stateChanged(_:transition:)``.
        case transition(breaker: String, StateTransition)
        /// ``/CircuitBreaker/BreakerMonitor/breakerReset(_:)``.
        case reset(breaker: String)
        /// ``/CircuitBreaker/BreakerMonitor/fallbackCompleted(_:reason:succeeded:)``.
        case fallback(breaker: String, reason: FallbackReason, succeeded: Bool)
        /// ``/CircuitBreaker/BreakerMonitor/callShadowRejected(_:state:)``.
        case shadowRejected(breaker: String, state: CircuitState)
        /// ``/CircuitBreaker/BreakerMonitor/overrideApplied(_:override:restored:)``.
        case overrideApplied(breaker: String, BreakerOverride, restored: Bool)
        /// ``/CircuitBreaker/BreakerMonitor/overrideEnded(_:override:expired:)``.
        case overrideEnded(breaker: String, BreakerOverride, expired: Bool)

        /// The name of the breaker the event came from.
        public var breaker: String {
            switch self {
            case .attached(let name), .detached(let name), .succeeded(let name, _), .failed(let name, _, _),
                .ignored(let name, _, _), .timedOut(let name, _), .rejected(let name, _), .slow(let name, _),
                .transition(let name, _), .reset(let name), .fallback(let name, _, _), .shadowRejected(let name, _),
                .overrideApplied(let name, _, _), .overrideEnded(let name, _, _):
                name
            }
        }

        /// A short name of the kind of event: `succeeded`, `failed`, `rejected`, …
        public var kind: String {
            switch self {
            case .attached: "attached"
            case .detached: "detached"
            case .succeeded: "succeeded"
            case .failed: "failed"
            case .ignored: "ignored"
            case .timedOut: "timedOut"
            case .rejected: "rejected"
            case .slow: "slow"
            case .transition: "transition"
            case .reset: "reset"
            case .fallback: "fallback"
            case .shadowRejected: "shadowRejected"
            case .overrideApplied: "overrideApplied"
            case .overrideEnded: "overrideEnded"
            }
        }

        /// The kind and the breaker, e.g. `rejected(payments)`.
        public var description: String { "\(kind)(\(breaker))" }
    }

    // The package's one lock, which ThreadSanitizer sees (see `Lock` in CircuitBreakerInternals).
    private let storage = Locked<[Event]>([])

    /// Whether events should carry durations (passed on as ``/CircuitBreaker/BreakerMonitor/wantsDurations``).
    public let wantsDurations: Bool

    /// Creates a recorder; `wantsDurations` makes breakers measure every call for it.
    public init(wantsDurations: Bool = false) {
        self.wantsDurations = wantsDurations
    }

    /// Every event so far, in arrival order.
    public var events: [Event] { storage.withLock { $0 } }

    /// The transitions so far, in arrival order.
    public var transitions: [StateTransition] {
        events.compactMap { if case .transition(_, let transition) = $0 { transition } else { nil } }
    }

    /// How many events of `kind` (see ``Event/kind``) arrived, optionally only from `breaker`.
    public func count(_ kind: String, breaker: String? = nil) -> Int {
        events.reduce(0) { $0 + ($1.kind == kind && (breaker == nil || $1.breaker == breaker) ? 1 : 0) }
    }

    /// Forgets every event.
    public func removeAll() {
        storage.withLock { $0.removeAll() }
    }

    private func append(_ event: Event) {
        storage.withLock { $0.append(event) }
    }

    /// Records the attachment.
    public func didAttach(to breaker: CircuitBreaker) { append(.attached(breaker: breaker.name)) }
    /// Records the detachment.
    public func didDetach(from breaker: BreakerDescription) { append(.detached(breaker: breaker.name)) }
    /// Records a success.
    public func callSucceeded(_ breaker: CircuitBreaker, duration: Duration?) {
        append(.succeeded(breaker: breaker.name, duration: duration))
    }
    /// Records a failure.
    public func callFailed(_ breaker: CircuitBreaker, error: any Error, duration: Duration?) {
        append(.failed(breaker: breaker.name, error: error, duration: duration))
    }
    /// Records an ignored call.
    public func callIgnored(_ breaker: CircuitBreaker, error: any Error, duration: Duration?) {
        append(.ignored(breaker: breaker.name, error: error, duration: duration))
    }
    /// Records a timeout.
    public func callTimedOut(_ breaker: CircuitBreaker, duration: Duration) {
        append(.timedOut(breaker: breaker.name, duration: duration))
    }
    /// Records a rejection.
    public func callRejected(_ breaker: CircuitBreaker, state: CircuitState) {
        append(.rejected(breaker: breaker.name, state: state))
    }
    /// Records a slow call.
    public func slowCall(_ breaker: CircuitBreaker, duration: Duration) {
        append(.slow(breaker: breaker.name, duration: duration))
    }
    /// Records a transition.
    public func stateChanged(_ breaker: CircuitBreaker, transition: StateTransition) {
        append(.transition(breaker: breaker.name, transition))
    }
    /// Records a reset.
    public func breakerReset(_ breaker: CircuitBreaker) { append(.reset(breaker: breaker.name)) }
    /// Records a fallback.
    public func fallbackCompleted(_ breaker: CircuitBreaker, reason: FallbackReason, succeeded: Bool) {
        append(.fallback(breaker: breaker.name, reason: reason, succeeded: succeeded))
    }
    /// Records a call a shadow breaker would have rejected.
    public func callShadowRejected(_ breaker: CircuitBreaker, state: CircuitState) {
        append(.shadowRejected(breaker: breaker.name, state: state))
    }
    /// Records an override applied.
    public func overrideApplied(_ breaker: CircuitBreaker, override: BreakerOverride, restored: Bool) {
        append(.overrideApplied(breaker: breaker.name, override, restored: restored))
    }
    /// Records an override that ended.
    public func overrideEnded(_ breaker: CircuitBreaker, override: BreakerOverride, expired: Bool) {
        append(.overrideEnded(breaker: breaker.name, override, expired: expired))
    }
}
