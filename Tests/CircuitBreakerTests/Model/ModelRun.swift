import CircuitBreakerInternals
import CircuitBreakerTestKit

@testable import CircuitBreaker

/// Drives a real breaker on a manual clock and the reference model with the same operations, and compares them
/// after every step: admissions and rejections, state, generation, snapshot, the transitions and override events
/// the monitors heard (reasons, dates, waits, ratios), time in state, and the per-call counts.
struct ModelRun {
    let scenario: ModelScenario
    private var model: ReferenceBreaker
    private var calls = ModelCalls()
    private let clock = ManualClock(wallClockOrigin: ModelScenario.wallClockOrigin)
    private let monitor = ObservingMonitor()
    private let breaker: CircuitBreaker
    private var permits: [Int: Permit] = [:]
    private var checkedEvents = 0

    /// A difference between the breaker and the model.
    struct Mismatch: Error, CustomStringConvertible {
        let step: Int
        let operation: ModelOperation
        let what: String
        var description: String { "step \(step) (\(operation)): \(what)" }
    }

    init(_ scenario: ModelScenario) throws {
        self.scenario = scenario
        model = ReferenceBreaker(
            configuration: scenario.configuration,
            wallClockOrigin: ModelScenario.wallClockOrigin,
            randomDraws: scenario.randomDraws
        )
        let draws = Locked((values: scenario.randomDraws, used: 0))
        breaker = try CircuitBreaker(
            name: "model",
            key: nil,
            configuration: scenario.configuration,
            monitors: [monitor],
            clock: .manual(clock),
            randomUnit: {
                draws.withLock { draws in
                    defer { draws.used += 1 }
                    return draws.used < draws.values.count ? draws.values[draws.used] : 0.5
                }
            }
        )
    }

    /// The override an `.apply` step makes, the same for the breaker and the model.
    static func override(_ action: BreakerOverride.Action, ttl: Int64, model: ReferenceBreaker) -> BreakerOverride {
        let wall = model.wallClock(at: model.now)
        return BreakerOverride(
            action: action,
            reason: "model",
            actor: "model",
            appliedAt: wall,
            expiresAt: wall + Double(ttl) / 1e9
        )
    }

    /// Runs `operations`, comparing after each; throws the first mismatch.
    static func check(_ scenario: ModelScenario, _ operations: [ModelOperation]) throws {
        var run = try ModelRun(scenario)
        for (step, operation) in operations.enumerated() {
            try run.perform(operation, step: step)
        }
    }

    mutating func perform(_ operation: ModelOperation, step: Int) throws {
        func expect(_ condition: Bool, _ what: @autoclosure () -> String) throws {
            if !condition { throw Mismatch(step: step, operation: operation, what: what()) }
        }
        switch operation {
        case .start(let id):
            let (expected, call) = model.admit()
            let actual = admit(id: id)
            try expect(actual == expected, "admission: breaker \(actual), model \(expected)")
            if let call { calls.inFlight[id] = call }
        case .finish(let id, let outcome):
            guard let call = calls.inFlight.removeValue(forKey: id), let permit = permits.removeValue(forKey: id) else {
                break
            }
            model.finish(call, outcome)
            record(outcome, permit)
        case .call(let outcome, let takes, let api):
            let (expected, call) = model.admit()
            if let call {
                model.advance(to: model.now + takes)
                model.finish(call, outcome)
            }
            let actual = callThroughAPI(outcome, takes: takes, api: api)
            try expect(actual == expected, "admission: breaker \(actual), model \(expected)")
        case .advance(let nanos):
            model.advance(to: model.now + nanos)
            clock.advance(by: .nanoseconds(nanos))
        case .readState:
            let state = breaker.state
            try expect(state == model.state, "state: breaker \(state), model \(model.state)")
        case .readGeneration:
            let generation = breaker.generation
            try expect(generation == model.generation, "generation: breaker \(generation), model \(model.generation)")
        case .snapshot:
            try compare(breaker.snapshot(), expect)
        case .readOverride:
            let active = breaker.activeOverride
            try expect(
                active?.action == model.activeOverride?.action && active?.expiresAt == model.activeOverride?.expiresAt,
                "active override: breaker \(active.map { "\($0)" } ?? "none"), model "
                    + (model.activeOverride.map { "\($0)" } ?? "none")
            )
        case .apply(let action, let ttl):
            let applied = Self.override(action, ttl: ttl, model: model)
            model.apply(applied)
            breaker.apply(applied)
        case .clearOverride:
            let expected = model.clearOverride()
            let actual = breaker.clearOverride()?.action
            try expect(actual == expected, "cleared override: breaker \(String(describing: actual)), model \(String(describing: expected))")
        case .holdOpen(let delay):
            model.holdOpen(for: delay)
            breaker.holdOpen(for: .nanoseconds(delay))
        case .reset:
            model.reset()
            breaker.reset()
        case .forceOpen:
            model.forceOpen()
            breaker.forceOpen()
        case .disable:
            model.disable()
            breaker.disable()
        }
        try compareObservations(settled: operation.settles, expect)
    }

    /// Asks the breaker to admit call `id` through the internal admission every public entry point uses, and
    /// keeps its permit.
    private mutating func admit(id: Int) -> ReferenceBreaker.Admission {
        switch breaker.admission() {
        case .admitted(let permit):
            permits[id] = permit
            return permit.word == .shadow ? .shadowAdmitted : .admitted
        case .rejected(let rejection):
            return .rejected(rejection.state, retryAfter: rejection.retryAfter)
        }
    }

    /// Records `outcome` for `permit` as the public entry points do.
    private func record(_ outcome: ReferenceBreaker.Outcome, _ permit: Permit) {
        switch outcome {
        case .success: breaker.recordSuccess(permit)
        case .failure: _ = breaker.recordError(DependencyDown(), permit)
        case .ignored: _ = breaker.recordError(BadRequest(), permit)
        case .timeout: breaker.recordFailure(permit, error: nil, timeout: .seconds(1))
        }
    }

    /// A call through one of the public synchronous entry points; returns how the breaker admitted it.
    private func callThroughAPI(
        _ outcome: ReferenceBreaker.Outcome,
        takes: Int64,
        api: ModelOperation.CallAPI
    ) -> ReferenceBreaker.Admission {
        let clock = clock
        let shadowBefore = monitor.shadowRejections
        var admitted = false
        let operation = { () throws -> Int in
            admitted = true
            clock.advance(by: .nanoseconds(takes))
            switch outcome {
            case .success: return 1
            case .ignored: throw BadRequest()
            case .failure, .timeout: throw DependencyDown()
            }
        }
        var rejection: CallRejectedError?
        switch api {
        case .execute:
            do { _ = try breaker.execute(operation) } catch let error as CallRejectedError { rejection = error } catch {}
        case .typed:
            do {
                _ = try breaker.executeTyped { () throws(any Error) -> Int in try operation() }
            } catch {
                if case .rejected(let error) = error { rejection = error }
            }
        case .fallback:
            _ = try? breaker.execute(operation) { reason in
                if case .rejected(let error) = reason { rejection = error }
                return 0
            }
        }
        if let rejection { return .rejected(rejection.state, retryAfter: rejection.retryAfter) }
        return admitted && monitor.shadowRejections == shadowBefore ? .admitted : .shadowAdmitted
    }

    private func compare(_ snapshot: BreakerSnapshot, _ expect: (Bool, @autoclosure () -> String) throws -> Void) throws {
        let totals = model.windowTotals
        let ratios = model.ratios
        try expect(snapshot.state == model.state, "snapshot state: breaker \(snapshot.state), model \(model.state)")
        try expect(
            snapshot.generation == model.generation,
            "snapshot generation: breaker \(snapshot.generation), model \(model.generation)"
        )
        try expect(
            (snapshot.windowCalls, snapshot.windowFailures, snapshot.windowSlowCalls) == totals,
            "window: breaker \((snapshot.windowCalls, snapshot.windowFailures, snapshot.windowSlowCalls)), model \(totals)"
        )
        try expect(
            snapshot.failureRatio == ratios.failure && snapshot.slowCallRatio == ratios.slow,
            "ratios: breaker \((snapshot.failureRatio, snapshot.slowCallRatio)), model \(ratios)"
        )
        try expect(
            snapshot.consecutiveFailures == model.consecutiveFailures,
            "consecutive failures: breaker \(snapshot.consecutiveFailures), model \(model.consecutiveFailures)"
        )
        try expect(
            snapshot.consecutiveReopens == model.reopens,
            "consecutive reopens: breaker \(snapshot.consecutiveReopens), model \(model.reopens)"
        )
        try expect(
            abs(snapshot.lastTransitionTimestamp - model.lastTransitionTimestamp) < 1e-6,
            "last transition timestamp: breaker \(snapshot.lastTransitionTimestamp), model \(model.lastTransitionTimestamp)"
        )
        try expect(
            snapshot.retryAfter == model.retryAfter,
            "retry after: breaker \(String(describing: snapshot.retryAfter)), model \(String(describing: model.retryAfter))"
        )
        try expect(
            snapshot.lastTransition.map(Self.transition) == model.lastTransition.map { Self.rounded($0, model) },
            "last transition: breaker \(String(describing: snapshot.lastTransition)), model \(String(describing: model.lastTransition))"
        )
        try expect(
            snapshot.activeOverride?.action == model.activeOverride?.action,
            "snapshot override: breaker \(String(describing: snapshot.activeOverride)), model \(String(describing: model.activeOverride))"
        )
        try expect(
            snapshot.timeInCurrentState.nanosecondsValue == model.timeInCurrentState,
            "time in current state: breaker \(snapshot.timeInCurrentState), model \(model.timeInCurrentState) ns"
        )
        for state in CircuitState.allCases {
            try expect(
                snapshot.timeInState[state].nanosecondsValue == model.timeInState(state),
                "time in \(state): breaker \(snapshot.timeInState[state]), model \(model.timeInState(state)) ns"
            )
        }
    }

    /// The per-call counts after every step, and the breaker-level events: those the monitors heard must be the
    /// model's, in order; after a step that settles the breaker, all of them.
    private mutating func compareObservations(
        settled: Bool,
        _ expect: (Bool, @autoclosure () -> String) throws -> Void
    ) throws {
        let counts = monitor.counts
        try expect(counts == model.counts, "call counts: breaker \(counts), model \(model.counts)")
        let heard = monitor.events
        let expected = model.events.map { Self.rounded($0, model) }
        try expect(heard.count <= expected.count, "the monitors heard \(heard.count) events, the model made \(expected.count)")
        for index in checkedEvents..<heard.count {
            try expect(
                heard[index] == expected[index],
                "event \(index): breaker \(heard[index]), model \(model.events[index])"
            )
        }
        checkedEvents = heard.count
        if settled {
            try expect(
                heard.count == expected.count,
                "after a settling step the monitors heard \(heard.count) events, the model made "
                    + "\(expected.count): missing \(model.events[heard.count...].map(\.description))"
            )
        }
    }

    /// A real transition in the model's terms; its wall-clock timestamp stands for the date.
    static func transition(_ transition: StateTransition) -> ObservedEvent {
        .transition(
            from: transition.from,
            to: transition.to,
            reason: transition.reason,
            generation: transition.generation,
            timestamp: transition.timestamp,
            openWait: transition.openWait,
            ratios: [transition.failureRatio, transition.slowCallRatio]
        )
    }

    static func rounded(_ transition: ReferenceBreaker.Transition, _ model: ReferenceBreaker) -> ObservedEvent {
        .transition(
            from: transition.from,
            to: transition.to,
            reason: transition.reason,
            generation: transition.generation,
            timestamp: model.wallClock(at: transition.at),
            openWait: transition.openWait,
            ratios: [transition.failureRatio, transition.slowCallRatio]
        )
    }

    static func rounded(_ event: ReferenceBreaker.Event, _ model: ReferenceBreaker) -> ObservedEvent {
        switch event {
        case .transition(let transition): rounded(transition, model)
        case .overrideApplied(let action): .overrideApplied(action)
        case .overrideEnded(let action, let expired): .overrideEnded(action, expired: expired)
        case .reset: .reset
        }
    }
}

/// A breaker-level event as the monitors heard it, comparable with the model's: timestamps agree to a
/// microsecond (a wall-clock `Double` near 1.7e9 s carries about 0.24 µs of rounding).
enum ObservedEvent: Equatable, CustomStringConvertible {
    case transition(
        from: CircuitState,
        to: CircuitState,
        reason: TransitionReason,
        generation: UInt64,
        timestamp: Double,
        openWait: Duration?,
        ratios: [Double]
    )
    case overrideApplied(BreakerOverride.Action)
    case overrideEnded(BreakerOverride.Action, expired: Bool)
    case reset

    static func == (lhs: Self, rhs: Self) -> Bool {
        switch (lhs, rhs) {
        case (.transition(let f1, let t1, let r1, let g1, let s1, let w1, let q1),
            .transition(let f2, let t2, let r2, let g2, let s2, let w2, let q2)):
            (f1, t1, r1, g1, w1, q1) == (f2, t2, r2, g2, w2, q2) && abs(s1 - s2) < 1e-6
        case (.overrideApplied(let a1), .overrideApplied(let a2)): a1 == a2
        case (.overrideEnded(let a1, let e1), .overrideEnded(let a2, let e2)): a1 == a2 && e1 == e2
        case (.reset, .reset): true
        default: false
        }
    }

    var description: String {
        switch self {
        case .transition(let from, let to, let reason, let generation, let timestamp, let wait, let ratios):
            "\(from)→\(to) (\(reason.rawValue)) gen \(generation) at \(timestamp) wait \(String(describing: wait)) "
                + "ratios \(ratios)"
        case .overrideApplied(let action): "override \(action) applied"
        case .overrideEnded(let action, let expired): "override \(action) ended\(expired ? " (expired)" : "")"
        case .reset: "reset"
        }
    }
}

/// Counts the per-call events and keeps the breaker-level ones, in the order they were delivered.
final class ObservingMonitor: BreakerMonitor {
    private let storage = Locked((counts: ReferenceBreaker.CallCounts(), events: [ObservedEvent]()))

    var counts: ReferenceBreaker.CallCounts { storage.withLock { $0.counts } }
    var events: [ObservedEvent] { storage.withLock { $0.events } }
    var shadowRejections: Int { storage.withLock { $0.counts.shadowRejections.values.reduce(0, +) } }

    func callSucceeded(_ breaker: CircuitBreaker, duration: Duration?) { storage.withLock { $0.counts.successes += 1 } }
    func callFailed(_ breaker: CircuitBreaker, error: any Error, duration: Duration?) {
        storage.withLock { $0.counts.failures += 1 }
    }
    func callIgnored(_ breaker: CircuitBreaker, error: any Error, duration: Duration?) {
        storage.withLock { $0.counts.ignored += 1 }
    }
    func callTimedOut(_ breaker: CircuitBreaker, duration: Duration) { storage.withLock { $0.counts.timeouts += 1 } }
    func callRejected(_ breaker: CircuitBreaker, state: CircuitState) {
        storage.withLock { $0.counts.rejections[state, default: 0] += 1 }
    }
    func callShadowRejected(_ breaker: CircuitBreaker, state: CircuitState) {
        storage.withLock { $0.counts.shadowRejections[state, default: 0] += 1 }
    }
    func slowCall(_ breaker: CircuitBreaker, duration: Duration) { storage.withLock { $0.counts.slowCalls += 1 } }
    func stateChanged(_ breaker: CircuitBreaker, transition: StateTransition) {
        storage.withLock { $0.events.append(ModelRun.transition(transition)) }
    }
    func breakerReset(_ breaker: CircuitBreaker) { storage.withLock { $0.events.append(.reset) } }
    func overrideApplied(_ breaker: CircuitBreaker, override: BreakerOverride, restored: Bool) {
        storage.withLock { $0.events.append(.overrideApplied(override.action)) }
    }
    func overrideEnded(_ breaker: CircuitBreaker, override: BreakerOverride, expired: Bool) {
        storage.withLock { $0.events.append(.overrideEnded(override.action, expired: expired)) }
    }
}
