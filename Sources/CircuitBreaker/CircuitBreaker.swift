import CircuitBreakerInternals
import Synchronization

/// Protects calls to a dependency that may fail, and stops calling it while it does.
///
/// ```swift
/// let breaker = try CircuitBreaker(name: "payments", configuration: .consecutiveFailures(5))
/// let receipt = try await breaker.execute { try await paymentsClient.charge(order) }
/// ```
///
/// A closed breaker runs every call and records its outcome; when the ``Configuration/trip`` policy says the
/// dependency is failing, it opens and rejects calls with ``CallRejectedError`` for the ``Configuration/openWait``.
/// The first call after the wait moves it to half-open, where a few trial calls probe the dependency: enough
/// successes close it, a failure opens it again. Operators can force it open or disable it.
///
/// The closed-state path costs a few atomic operations and no allocation; only state transitions take a lock.
/// Every state period has a generation number, and an outcome is recorded only in the period it was admitted in,
/// so a slow call that started before the breaker opened cannot move the breaker after it.
public final class CircuitBreaker: Sendable {
    /// The name the breaker is known by in errors, logs and metrics; for a breaker of a ``BreakerGroup``, the
    /// group's name.
    public let name: String
    /// The key of a breaker created by a ``BreakerGroup`` (the host, tenant or endpoint it protects); `nil` for a
    /// breaker of its own and for a group's overflow breaker.
    public let key: String?
    /// The validated configuration.
    public let configuration: Configuration
    /// The clock the breaker reads.
    public let clock: BreakerClock

    /// State and generation (``ControlWord``); changed only under `machine`'s lock.
    @usableFromInline
    let control: Atomic<UInt64>
    /// Coarse monotonic time at which an open breaker may admit a trial call.
    @usableFromInline
    let openUntil = Atomic<Int64>(0)
    /// Coarse monotonic time at which the active override ends; `Int64.max` when there is none.
    let overrideUntil = Atomic<Int64>(.max)
    /// How many events the breaker has posted for its monitors (transitions, overrides applied and ended, resets):
    /// bumped under `machine`'s lock as each is posted, so that a reader who loads it before locking to read the
    /// breaker learns whether anything but calls and time changed it since an earlier reading, even before the
    /// monitors heard of the event (another thread may be delivering them). See ``changeCount``.
    let postedEvents = Atomic<UInt64>(0)
    /// Whether calls are rejected (``Enforcement/enforcing``) rather than only reported (shadow mode).
    @usableFromInline
    let enforcing: Bool
    /// The trip policy and the store of outcomes it judges.
    @usableFromInline
    let rule: TripRule
    /// The bound monitors, for attaching and detaching.
    let monitors: [any BreakerMonitor]
    /// All of them as one existential, for state and override events (see ``MonitorFanOut``).
    @usableFromInline
    let monitor: any BreakerMonitor
    @usableFromInline
    let hasMonitors: Bool
    /// The monitors that observe calls (``BreakerMonitor/observesCalls``), for per-call events: a monitor that
    /// only follows state changes costs the call path nothing.
    @usableFromInline
    let callMonitor: any BreakerMonitor
    @usableFromInline
    let hasCallMonitors: Bool
    @usableFromInline
    let measuresDurations: Bool
    /// Calls longer than this many nanoseconds are slow (`Int64.max` when no threshold is configured).
    @usableFromInline
    let slowThresholdNanos: Int64
    let machine: Locked<MachineState>
    /// The jitter's random source: a value in [0, 1) for each transition to open.
    let randomUnit: @Sendable () -> Double

    /// Creates a breaker.
    ///
    /// - Parameters:
    ///   - name: How the breaker is known in errors, logs and metrics; any string.
    ///   - configuration: Validated here: an invalid one throws ``ConfigurationError``.
    ///   - monitors: Receive every event of this breaker; each is bound with ``BreakerMonitor/bind(to:)``, whose
    ///     error, if any, is rethrown.
    ///   - clock: ``BreakerClock/system``, or a manual clock in tests.
    public convenience init(
        name: String,
        configuration: Configuration = .default,
        monitors: [any BreakerMonitor] = [],
        clock: BreakerClock = .system
    ) throws {
        try self.init(name: name, key: nil, configuration: configuration, monitors: monitors, clock: clock)
    }

    /// Creates a breaker; `key` is set by a ``BreakerGroup`` for the breakers it creates (monitors see it in the
    /// ``BreakerDescription``). Its open waits draw their jitter from `randomUnit` (a value in [0, 1) per
    /// transition to open, in order), which the model-based tests set to predict every wait.
    init(
        name: String,
        key: String?,
        configuration: Configuration,
        monitors: [any BreakerMonitor],
        clock: BreakerClock,
        randomUnit: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }
    ) throws {
        try configuration.validate()
        let description = BreakerDescription(name: name, configuration: configuration, key: key)
        var bound: [any BreakerMonitor] = []
        bound.reserveCapacity(monitors.count)
        do {
            for monitor in monitors {
                bound.append(try monitor.bind(to: description))
            }
        } catch {
            for monitor in bound { monitor.didDetach(from: description) }
            throw error
        }
        let word = ControlWord(state: .closed, generation: 1)
        self.name = name
        self.key = key
        self.configuration = configuration
        self.clock = clock
        self.control = Atomic(word.rawValue)
        self.rule = TripRule(configuration.trip, generation: word.generation, now: clock.coarseNanoseconds())
        self.monitors = bound
        self.monitor = MonitorFanOut.combining(bound)
        self.hasMonitors = !bound.isEmpty
        let callMonitors = bound.filter(\.observesCalls)
        self.callMonitor = MonitorFanOut.combining(callMonitors)
        self.hasCallMonitors = !callMonitors.isEmpty
        self.randomUnit = randomUnit
        self.slowThresholdNanos = configuration.slowCallThreshold?.nanoseconds ?? .max
        self.enforcing = configuration.enforcement.rejectsCalls
        self.measuresDurations = configuration.slowCallThreshold != nil || bound.contains { $0.wantsDurations }
        self.machine = Locked(
            MachineState(
                lastTransitionTimestamp: clock.wallClockSeconds(),
                stateTimes: StateTimeAccount(now: clock.coarseNanoseconds())
            )
        )
        for monitor in bound { monitor.didAttach(to: self) }
    }

    /// The state the next call would meet.
    ///
    /// A breaker moves from open to half-open, and from a half-open period whose trial calls never settled back to
    /// open, when time says so; the first call after that moment makes the move. Reading the state makes it too (as
    /// gobreaker's `State()` does), so an idle breaker whose open wait has elapsed reads `halfOpen`, not `open`,
    /// and monitors see that transition once, in generation order, whether a call or a read made it.
    public var state: CircuitState { settledWord().state }

    /// The current state period's number; it grows by one with every transition (and with a reset of a closed
    /// breaker, which starts a fresh period). Like ``state``, reading it makes the transitions that time has made
    /// due, so it never names a period that is over.
    public var generation: UInt64 { settledWord().generation }

    /// A picture of the breaker now: state (as ``state`` reports it), window counts and ratios, the last
    /// transition, and the time spent in each state.
    public func snapshot() -> BreakerSnapshot {
        _ = settledWord()
        let now = clock.coarseNanoseconds()
        return machine.withLock { machine in
            let word = ControlWord(rawValue: control.load(ordering: .acquiring))
            let totals = windowTotals(now: now)
            let ratios = totals.ratios(minimumCalls: rule.minimumCalls)
            var retryAfter: Duration?
            if word.state == .open {
                retryAfter = .nanoseconds(max(openUntil.load(ordering: .relaxed) - now, 0))
            }
            return BreakerSnapshot(
                name: name,
                state: word.state,
                generation: word.generation,
                windowCalls: totals.calls,
                windowFailures: totals.failures,
                windowSlowCalls: totals.slowCalls,
                failureRatio: ratios.failure,
                slowCallRatio: ratios.slow,
                consecutiveFailures: rule.consecutiveFailureCount(generation: word.generation),
                consecutiveReopens: machine.consecutiveReopens,
                lastTransitionTimestamp: machine.lastTransitionTimestamp,
                retryAfter: retryAfter,
                lastTransition: machine.lastTransition,
                activeOverride: machine.activeOverride,
                timeInCurrentState: machine.stateTimes.currentPeriod(now: now),
                timeInState: machine.stateTimes.totals(current: word.state, now: now)
            )
        }
    }

    /// Opens the breaker until ``reset()``: every call is rejected. Does nothing if it is already forced open.
    /// Ends an active override (``apply(_:restored:)``): the breaker stays forced open without an end.
    public func forceOpen() {
        changeStateManually(to: .forcedOpen, reason: .forcedOpen)
    }

    /// Lets every call through until ``reset()``, still recording outcomes, never tripping. Does nothing if it is
    /// already disabled. Ends an active override: the breaker stays disabled without an end.
    public func disable() {
        changeStateManually(to: .disabled, reason: .disabled)
    }

    /// Closes the breaker and clears its windows, from any state; in-flight calls admitted before no longer
    /// count. Ends an active override. Monitors see the transition (unless it was closed already) and a reset
    /// event.
    public func reset() {
        changeStateManually(to: .closed, reason: .reset, then: .reset)
    }

    /// Tells the monitors the breaker is gone (its registry removed it, or its group evicted it).
    func detachMonitors() {
        let description = BreakerDescription(name: name, configuration: configuration, key: key)
        for monitor in monitors { monitor.didDetach(from: description) }
    }
}

/// What only changes under the breaker's lock.
struct MachineState: Sendable {
    /// Trial slots of the half-open period in use: trials admitted and not yet settled or ignored.
    var trialsAdmitted = 0
    var trialSuccesses = 0
    /// When the last trial of the half-open period was admitted (coarse monotonic nanoseconds).
    var lastTrialAdmitted: Int64 = 0
    var consecutiveReopens = 0
    var lastTransitionTimestamp: Double
    /// The last transition, for snapshots.
    var lastTransition: StateTransition?
    /// Time spent in each state.
    var stateTimes: StateTimeAccount
    /// The operator's override in force, if any.
    var activeOverride: BreakerOverride?
    /// Events on their way to the monitors.
    var outbox = BreakerEventOutbox()

    /// When the trials of the half-open period have had their time: `policy.maximumDuration` after the last of
    /// them was admitted, once every slot is taken; `nil` while a slot is free (the next call takes it).
    func trialDeadline(_ policy: HalfOpenPolicy) -> Int64? {
        guard trialsAdmitted >= policy.trialCalls else { return nil }
        return lastTrialAdmitted &+ policy.maximumDuration.nanoseconds
    }
}
