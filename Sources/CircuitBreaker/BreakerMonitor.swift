/// Receives every event of the breakers it is attached to.
///
/// Monitors run synchronously on the thread that made the call (or changed the state), so an event handler must
/// be cheap and must not block: count, set a gauge, or hand the event to a queue of your own. Every requirement has
/// a do-nothing default, so a monitor implements only what it needs:
///
/// ```swift
/// struct OpenAlarm: BreakerMonitor {
///     func stateChanged(_ breaker: CircuitBreaker, transition: StateTransition) {
///         if transition.to == .open { print("\(breaker.name) opened: \(transition.reason)") }
///     }
/// }
/// ```
///
/// A monitor that keeps per-breaker state (metric handles, say) resolves it once in ``bind(to:)`` and returns a
/// monitor specialised to that breaker, so that no event has to look anything up.
///
/// Transition events of one breaker can reach a monitor from several threads at once, and so out of order; each
/// carries a ``StateTransition/generation`` to order them, and ``CircuitBreaker/state`` is always current.
public protocol BreakerMonitor: Sendable {
    /// Called once for each breaker this monitor is attached to, while the breaker is created; returns the
    /// monitor that will receive that breaker's events (by default `self`). Throwing fails the breaker's creation.
    func bind(to breaker: BreakerDescription) throws -> any BreakerMonitor

    /// Called on the monitor returned by ``bind(to:)`` once the breaker exists.
    func didAttach(to breaker: CircuitBreaker)

    /// Called on the monitor returned by ``bind(to:)`` when the breaker is removed from its registry, or when the
    /// breaker's creation failed after this monitor was bound: release what was bound to it.
    func didDetach(from breaker: BreakerDescription)

    /// Whether the monitor receives the per-call events (calls, rejections, slow calls, fallbacks). A monitor that
    /// only follows state changes and overrides returns `false`, and the breaker then skips it on every call, so it
    /// costs the call path nothing. Read once, when the breaker is created.
    var observesCalls: Bool { get }

    /// Whether the events should carry call durations. Measuring costs two reads of a precise clock per call, so
    /// breakers skip it unless a monitor asks for it (or a slow-call threshold is configured).
    var wantsDurations: Bool { get }

    /// A call returned normally (or with a result not classified as a failure).
    func callSucceeded(_ breaker: CircuitBreaker, duration: Duration?)

    /// A call threw an error classified as a failure, or returned a result classified as one
    /// (then `error` is a ``FailedResultError``).
    func callFailed(_ breaker: CircuitBreaker, error: any Error, duration: Duration?)

    /// A call threw an error the classifier does not count as a failure.
    func callIgnored(_ breaker: CircuitBreaker, error: any Error, duration: Duration?)

    /// An async call exceeded the invocation timeout; `duration` is the timeout. It counts as a failure.
    func callTimedOut(_ breaker: CircuitBreaker, duration: Duration)

    /// A call was rejected without running, in `state`.
    func callRejected(_ breaker: CircuitBreaker, state: CircuitState)

    /// A shadow breaker (``Enforcement/shadow``) would have rejected a call in `state` and runs it anyway; its
    /// outcome is reported next, as for any call.
    func callShadowRejected(_ breaker: CircuitBreaker, state: CircuitState)

    /// A call took longer than the configured slow-call threshold (reported besides its outcome).
    func slowCall(_ breaker: CircuitBreaker, duration: Duration)

    /// The breaker changed state.
    func stateChanged(_ breaker: CircuitBreaker, transition: StateTransition)

    /// An operator called ``CircuitBreaker/reset()`` (reported after the transition it causes, if any).
    func breakerReset(_ breaker: CircuitBreaker)

    /// A fallback ran for `reason` and returned a value (`succeeded`) or threw.
    func fallbackCompleted(_ breaker: CircuitBreaker, reason: FallbackReason, succeeded: Bool)

    /// An operator's override was applied (after the transition it causes, if any); `restored` when it was
    /// re-applied from saved state after a restart rather than newly decided.
    func overrideApplied(_ breaker: CircuitBreaker, override: BreakerOverride, restored: Bool)

    /// The active override ended: it `expired`, or it was cleared or replaced by another operator action.
    func overrideEnded(_ breaker: CircuitBreaker, override: BreakerOverride, expired: Bool)

    // MARK: Groups

    /// Called once for each ``BreakerGroup`` this monitor is given to, while the group is created; returns the
    /// monitor the group's breakers are bound to (each with ``bind(to:)``, whose description carries the
    /// ``BreakerDescription/key``) and that receives the group's own events. By default `self`: a monitor that
    /// knows nothing of groups sees each key's breaker as a breaker named like the group. Throwing fails the
    /// group's creation.
    func bind(toGroup group: BreakerGroupDescription) throws -> any BreakerMonitor

    /// Called on the monitor returned by ``bind(toGroup:)`` once the group exists (before its first key).
    func didAttach(toGroup group: BreakerGroup)

    /// Called on the monitor returned by ``bind(toGroup:)`` when the group is removed from its registry (after
    /// each of its breakers was detached), or when the group's creation failed after this monitor was bound.
    func didDetach(fromGroup group: BreakerGroupDescription)

    /// The group evicted an idle key to make room for a new one; the key's breaker was detached from its monitors
    /// just before (``didDetach(from:)``).
    func keyEvicted(_ group: BreakerGroup, key: String)

    /// The group held ``BreakerGroup/Configuration-swift.struct/maximumKeys`` keys, none of them idle, when `key`
    /// asked for a breaker of its own: `policy` says what it got instead (the group's overflow breaker, or a
    /// ``BreakerGroupError`` with code ``BreakerGroupError/Code/overflow``).
    func keyOverflowed(_ group: BreakerGroup, key: String, policy: BreakerGroup.OverflowPolicy)
}

extension BreakerMonitor {
    /// Returns `self`: the same monitor serves every breaker.
    public func bind(to breaker: BreakerDescription) throws -> any BreakerMonitor { self }
    /// Does nothing.
    public func didAttach(to breaker: CircuitBreaker) {}
    /// Does nothing.
    public func didDetach(from breaker: BreakerDescription) {}
    /// `true`.
    public var observesCalls: Bool { true }
    /// `false`.
    public var wantsDurations: Bool { false }
    /// Does nothing.
    public func callSucceeded(_ breaker: CircuitBreaker, duration: Duration?) {}
    /// Does nothing.
    public func callFailed(_ breaker: CircuitBreaker, error: any Error, duration: Duration?) {}
    /// Does nothing.
    public func callIgnored(_ breaker: CircuitBreaker, error: any Error, duration: Duration?) {}
    /// Does nothing.
    public func callTimedOut(_ breaker: CircuitBreaker, duration: Duration) {}
    /// Does nothing.
    public func callRejected(_ breaker: CircuitBreaker, state: CircuitState) {}
    /// Does nothing.
    public func slowCall(_ breaker: CircuitBreaker, duration: Duration) {}
    /// Does nothing.
    public func stateChanged(_ breaker: CircuitBreaker, transition: StateTransition) {}
    /// Does nothing.
    public func breakerReset(_ breaker: CircuitBreaker) {}
    /// Does nothing.
    public func fallbackCompleted(_ breaker: CircuitBreaker, reason: FallbackReason, succeeded: Bool) {}
    /// Does nothing.
    public func callShadowRejected(_ breaker: CircuitBreaker, state: CircuitState) {}
    /// Does nothing.
    public func overrideApplied(_ breaker: CircuitBreaker, override: BreakerOverride, restored: Bool) {}
    /// Does nothing.
    public func overrideEnded(_ breaker: CircuitBreaker, override: BreakerOverride, expired: Bool) {}
    /// Returns `self`: the group's breakers are bound to this monitor like any breaker.
    public func bind(toGroup group: BreakerGroupDescription) throws -> any BreakerMonitor { self }
    /// Does nothing.
    public func didAttach(toGroup group: BreakerGroup) {}
    /// Does nothing.
    public func didDetach(fromGroup group: BreakerGroupDescription) {}
    /// Does nothing.
    public func keyEvicted(_ group: BreakerGroup, key: String) {}
    /// Does nothing.
    public func keyOverflowed(_ group: BreakerGroup, key: String, policy: BreakerGroup.OverflowPolicy) {}
}

/// What a monitor learns about a breaker when it is bound to it, before the breaker exists.
public struct BreakerDescription: Sendable {
    /// The breaker's name (a group's breakers have the group's name).
    public let name: String
    /// Its configuration.
    public let configuration: CircuitBreaker.Configuration
    /// The key of a breaker of a ``BreakerGroup``; `nil` for a breaker of its own and for a group's overflow
    /// breaker.
    public let key: String?

    /// Creates a description.
    public init(name: String, configuration: CircuitBreaker.Configuration, key: String? = nil) {
        self.name = name
        self.configuration = configuration
        self.key = key
    }
}

/// The error reported to monitors for a call whose returned value was classified as a failure.
public struct FailedResultError: Error, Hashable, CustomStringConvertible {
    /// The breaker that classified the result.
    public let breakerName: String

    /// Creates the error.
    public init(breakerName: String) {
        self.breakerName = breakerName
    }

    /// A short description.
    public var description: String { "result classified as a failure by circuit breaker \"\(breakerName)\"" }
}
