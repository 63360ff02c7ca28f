/// Delivers each event to two monitors: `first`, then `rest` (itself a fan-out when there are more).
///
/// The breaker holds its monitors as one `let` existential built from these, because Swift calls a method of an
/// existential stored in an immutable class property in place, whereas iterating an array of existentials copies
/// each one (a retain and a release per monitor per event).
@usableFromInline
final class MonitorFanOut: BreakerMonitor {
    @usableFromInline
    let first: any BreakerMonitor
    @usableFromInline
    let rest: any BreakerMonitor

    init(first: any BreakerMonitor, rest: any BreakerMonitor) {
        self.first = first
        self.rest = rest
    }

    /// One existential for `monitors`: a no-op, the only monitor, or a chain of fan-outs.
    static func combining(_ monitors: [any BreakerMonitor]) -> any BreakerMonitor {
        guard var combined = monitors.last else { return SilentMonitor() }
        for monitor in monitors.dropLast().reversed() {
            combined = MonitorFanOut(first: monitor, rest: combined)
        }
        return combined
    }

    @usableFromInline
    var wantsDurations: Bool { first.wantsDurations || rest.wantsDurations }

    @usableFromInline
    var observesCalls: Bool { first.observesCalls || rest.observesCalls }

    @usableFromInline
    func callSucceeded(_ breaker: CircuitBreaker, duration: Duration?) {
        first.callSucceeded(breaker, duration: duration)
        rest.callSucceeded(breaker, duration: duration)
    }

    @usableFromInline
    func callFailed(_ breaker: CircuitBreaker, error: any Error, duration: Duration?) {
        first.callFailed(breaker, error: error, duration: duration)
        rest.callFailed(breaker, error: error, duration: duration)
    }

    @usableFromInline
    func callIgnored(_ breaker: CircuitBreaker, error: any Error, duration: Duration?) {
        first.callIgnored(breaker, error: error, duration: duration)
        rest.callIgnored(breaker, error: error, duration: duration)
    }

    @usableFromInline
    func callTimedOut(_ breaker: CircuitBreaker, duration: Duration) {
        first.callTimedOut(breaker, duration: duration)
        rest.callTimedOut(breaker, duration: duration)
    }

    @usableFromInline
    func callRejected(_ breaker: CircuitBreaker, state: CircuitState) {
        first.callRejected(breaker, state: state)
        rest.callRejected(breaker, state: state)
    }

    @usableFromInline
    func slowCall(_ breaker: CircuitBreaker, duration: Duration) {
        first.slowCall(breaker, duration: duration)
        rest.slowCall(breaker, duration: duration)
    }

    @usableFromInline
    func stateChanged(_ breaker: CircuitBreaker, transition: StateTransition) {
        first.stateChanged(breaker, transition: transition)
        rest.stateChanged(breaker, transition: transition)
    }

    @usableFromInline
    func breakerReset(_ breaker: CircuitBreaker) {
        first.breakerReset(breaker)
        rest.breakerReset(breaker)
    }

    @usableFromInline
    func fallbackCompleted(_ breaker: CircuitBreaker, reason: FallbackReason, succeeded: Bool) {
        first.fallbackCompleted(breaker, reason: reason, succeeded: succeeded)
        rest.fallbackCompleted(breaker, reason: reason, succeeded: succeeded)
    }

    @usableFromInline
    func callShadowRejected(_ breaker: CircuitBreaker, state: CircuitState) {
        first.callShadowRejected(breaker, state: state)
        rest.callShadowRejected(breaker, state: state)
    }

    @usableFromInline
    func overrideApplied(_ breaker: CircuitBreaker, override: BreakerOverride, restored: Bool) {
        first.overrideApplied(breaker, override: override, restored: restored)
        rest.overrideApplied(breaker, override: override, restored: restored)
    }

    @usableFromInline
    func overrideEnded(_ breaker: CircuitBreaker, override: BreakerOverride, expired: Bool) {
        first.overrideEnded(breaker, override: override, expired: expired)
        rest.overrideEnded(breaker, override: override, expired: expired)
    }
}

/// The monitor of a breaker that has none.
@usableFromInline
struct SilentMonitor: BreakerMonitor {}
