public import CircuitBreaker
public import Logging

/// Logs what operators need to know about breakers through a `Logger` you provide (swift-log).
///
/// ```swift
/// let monitor = LoggingMonitor(logger: logger)
/// let breaker = try CircuitBreaker(name: "payments", configuration: .consecutiveFailures(5), monitors: [monitor])
/// ```
///
/// | event | level | message |
/// |---|---|---|
/// | → open, → forced open | ``Configuration-swift.struct/openedLevel`` (warning) | `circuit opened` |
/// | half-open → closed, ``/CircuitBreaker/CircuitBreaker/reset()`` | ``Configuration-swift.struct/resetLevel`` (notice) | `circuit reset` |
/// | → disabled | warning | `circuit disabled` |
/// | → half-open | info | `circuit half-open` |
/// | an operator's override expired | ``Configuration-swift.struct/resetLevel`` (notice) | `circuit override expired` |
/// | failure, timeout, rejection, shadow rejection, slow call, fallback | debug | `call failed`, `call timed out`, … |
/// | success, ignored error | trace | `call succeeded`, `call ignored` |
///
/// Every message carries `breaker`; transitions add `from`, `to`, `reason`, `generation`, `failure_ratio` and
/// `slow_call_ratio`, and an opening adds `retry_after` (the open wait) and `retry_at` (Unix seconds). Metadata is
/// built only when the logger's level lets the message through, so per-call events cost one comparison when
/// debug logging is off.
public struct LoggingMonitor: BreakerMonitor {
    /// The levels of the alerts.
    public struct Configuration: Sendable, Hashable {
        /// The level of `circuit opened`.
        public var openedLevel: Logger.Level
        /// The level of `circuit reset`.
        public var resetLevel: Logger.Level

        /// Creates a configuration: warning when a circuit opens, notice when it resets.
        public init(openedLevel: Logger.Level = .warning, resetLevel: Logger.Level = .notice) {
            self.openedLevel = openedLevel
            self.resetLevel = resetLevel
        }

        /// Warning when a circuit opens, notice when it resets.
        public static let `default` = Configuration()
    }

    /// The logger messages go to.
    public let logger: Logger
    /// The levels of the alerts.
    public let configuration: Configuration

    /// Creates a monitor that logs to `logger`, whose level and handler decide what is written where.
    public init(logger: Logger, configuration: Configuration = .default) {
        self.logger = logger
        self.configuration = configuration
    }

    // MARK: State

    /// Logs `circuit opened`, `circuit reset` (half-open → closed), `circuit half-open` or `circuit disabled`.
    /// A reset by an operator is logged by ``breakerReset(_:)``.
    public func stateChanged(_ breaker: CircuitBreaker, transition: StateTransition) {
        let level: Logger.Level
        let message: Logger.Message
        switch transition.to {
        case .open, .forcedOpen:
            (level, message) = (configuration.openedLevel, "circuit opened")
        case .closed:
            guard transition.reason != .reset else { return }
            (level, message) = (configuration.resetLevel, "circuit reset")
        case .halfOpen:
            (level, message) = (.info, "circuit half-open")
        case .disabled:
            (level, message) = (.warning, "circuit disabled")
        }
        guard logger.logLevel <= level else { return }
        var metadata = identity(of: breaker, [
            "from": .string(transition.from.label),
            "to": .string(transition.to.label),
            "reason": .string(transition.reason.rawValue),
            "generation": .stringConvertible(transition.generation),
            "failure_ratio": .stringConvertible(transition.failureRatio),
            "slow_call_ratio": .stringConvertible(transition.slowCallRatio),
        ])
        if let wait = transition.openWait {
            let seconds = Double(wait.components.seconds) + Double(wait.components.attoseconds) / 1e18
            metadata["retry_after"] = .stringConvertible(wait)
            metadata["retry_at"] = .stringConvertible(transition.timestamp + seconds)
        }
        logger.log(level: level, message, metadata: metadata)
    }

    /// Logs `circuit reset` with reason `reset`: an operator called ``/CircuitBreaker/CircuitBreaker/reset()``.
    public func breakerReset(_ breaker: CircuitBreaker) {
        let level = configuration.resetLevel
        guard logger.logLevel <= level else { return }
        logger.log(
            level: level,
            "circuit reset",
            metadata: identity(of: breaker, ["reason": .string(TransitionReason.reset.rawValue)])
        )
    }

    /// Logs `circuit override expired` when an operator's override ran out and the breaker returned to automatic
    /// control. Applying or clearing an override is logged by whoever does it (the operations API audits who,
    /// what, why and until when).
    public func overrideEnded(_ breaker: CircuitBreaker, override: BreakerOverride, expired: Bool) {
        let level = configuration.resetLevel
        guard expired, logger.logLevel <= level else { return }
        logger.log(
            level: level,
            "circuit override expired",
            metadata: identity(of: breaker, [
                "action": .string(override.action.rawValue),
                "actor": .string(override.actor),
                "reason": .string(override.reason),
                "expires_at": .stringConvertible(override.expiresAt),
            ])
        )
    }

    // MARK: Calls

    /// Logs `call succeeded` at trace.
    public func callSucceeded(_ breaker: CircuitBreaker, duration: Duration?) {
        guard logger.logLevel <= .trace else { return }
        logger.trace("call succeeded", metadata: callMetadata(breaker, duration: duration))
    }

    /// Logs `call failed` at debug, with the error.
    public func callFailed(_ breaker: CircuitBreaker, error: any Error, duration: Duration?) {
        guard logger.logLevel <= .debug else { return }
        var metadata = callMetadata(breaker, duration: duration)
        metadata["error"] = .string(String(describing: error))
        logger.debug("call failed", metadata: metadata)
    }

    /// Logs `call ignored` at trace, with the error.
    public func callIgnored(_ breaker: CircuitBreaker, error: any Error, duration: Duration?) {
        guard logger.logLevel <= .trace else { return }
        var metadata = callMetadata(breaker, duration: duration)
        metadata["error"] = .string(String(describing: error))
        logger.trace("call ignored", metadata: metadata)
    }

    /// Logs `call timed out` at debug.
    public func callTimedOut(_ breaker: CircuitBreaker, duration: Duration) {
        guard logger.logLevel <= .debug else { return }
        logger.debug("call timed out", metadata: callMetadata(breaker, duration: duration))
    }

    /// Logs `call rejected` at debug, with the state that rejected it.
    public func callRejected(_ breaker: CircuitBreaker, state: CircuitState) {
        guard logger.logLevel <= .debug else { return }
        logger.debug("call rejected", metadata: identity(of: breaker, ["state": .string(state.label)]))
    }

    /// Logs `call shadow-rejected` at debug: a shadow breaker would have rejected the call in `state`.
    public func callShadowRejected(_ breaker: CircuitBreaker, state: CircuitState) {
        guard logger.logLevel <= .debug else { return }
        logger.debug(
            "call shadow-rejected",
            metadata: identity(of: breaker, ["state": .string(state.label)])
        )
    }

    /// Logs `slow call` at debug.
    public func slowCall(_ breaker: CircuitBreaker, duration: Duration) {
        guard logger.logLevel <= .debug else { return }
        logger.debug("slow call", metadata: callMetadata(breaker, duration: duration))
    }

    /// Logs `fallback succeeded` or `fallback failed` at debug, with the reason it ran.
    public func fallbackCompleted(_ breaker: CircuitBreaker, reason: FallbackReason, succeeded: Bool) {
        guard logger.logLevel <= .debug else { return }
        logger.debug(
            succeeded ? "fallback succeeded" : "fallback failed",
            metadata: identity(of: breaker, ["reason": .string(reason.description)])
        )
    }

    /// The breaker's name, and its key when it belongs to a ``/CircuitBreaker/BreakerGroup``, with `extra`.
    private func identity(of breaker: CircuitBreaker, _ extra: Logger.Metadata = [:]) -> Logger.Metadata {
        var metadata = extra
        metadata["breaker"] = .string(breaker.name)
        if let key = breaker.key { metadata["key"] = .string(key) }
        return metadata
    }

    private func callMetadata(_ breaker: CircuitBreaker, duration: Duration?) -> Logger.Metadata {
        var metadata = identity(of: breaker)
        if let duration { metadata["duration"] = .stringConvertible(duration) }
        return metadata
    }
}
