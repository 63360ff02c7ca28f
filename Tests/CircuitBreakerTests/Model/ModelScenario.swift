import CircuitBreaker
import TestSupport

/// The trip policies a model-based run can use: each run draws one, and its seed says which.
enum ModelPolicy: String, CaseIterable {
    case consecutiveFailures
    case countWindowFailureRatio
    case timeWindowFailureRatio
    case slowCallRatio
    case bothRatios
}

/// Everything a run is made of besides its operations: the configuration and the jitter draws, from its seed.
struct ModelScenario {
    let seed: UInt64
    let policy: ModelPolicy
    let configuration: CircuitBreaker.Configuration
    let randomDraws: [Double]
    static let wallClockOrigin: Double = 1_700_000_000

    init(seed: UInt64) {
        self.seed = seed
        var random = SeededGenerator(seed: seed)
        policy = ModelPolicy.allCases[Int(seed % UInt64(ModelPolicy.allCases.count))]
        var configuration = CircuitBreaker.Configuration()
        let slowThreshold = Duration.milliseconds(Int64.random(in: 50...2_000, using: &random))
        configuration.slowCallThreshold = Bool.random(using: &random) ? slowThreshold : nil
        let window: SlidingWindow =
            Bool.random(using: &random)
            ? .count(Int.random(in: 1...8, using: &random))
            : .time(.milliseconds(Int64.random(in: 200...10_000, using: &random)), buckets: Int.random(in: 1...6, using: &random))
        let minimumCalls = Int.random(in: 1...(window.size ?? 5), using: &random)
        let ratio = [0.25, 0.5, 0.75, 1.0].randomElement(using: &random)!
        let slowRatio = [0.25, 0.5, 0.75, 1.0].randomElement(using: &random)!
        switch policy {
        case .consecutiveFailures:
            configuration.trip = .consecutiveFailures(Int.random(in: 1...4, using: &random))
        case .countWindowFailureRatio:
            let size = Int.random(in: 1...8, using: &random)
            configuration.trip = .failureRatio(
                ratio,
                window: .count(size),
                minimumCalls: Int.random(in: 1...size, using: &random)
            )
        case .timeWindowFailureRatio:
            configuration.trip = .failureRatio(
                ratio,
                window: .time(
                    .milliseconds(Int64.random(in: 200...10_000, using: &random)),
                    buckets: Int.random(in: 1...6, using: &random)
                ),
                minimumCalls: Int.random(in: 1...5, using: &random)
            )
        case .slowCallRatio:
            configuration.slowCallThreshold = slowThreshold
            configuration.trip = .slowCallRatio(slowRatio, window: window, minimumCalls: minimumCalls)
        case .bothRatios:
            configuration.slowCallThreshold = slowThreshold
            configuration.trip = .window(
                WindowPolicy(
                    window: window,
                    minimumCalls: minimumCalls,
                    failureRatioThreshold: ratio,
                    slowCallRatioThreshold: slowRatio
                )
            )
        }
        let initial = Duration.milliseconds(Int64.random(in: 100...30_000, using: &random))
        switch Int.random(in: 0..<3, using: &random) {
        case 0:
            configuration.openWait = .fixed(initial)
        case 1:
            configuration.openWait = .exponential(
                initial: initial,
                multiplier: [1.5, 2, 3].randomElement(using: &random)!,
                maximum: initial * Int.random(in: 1...10, using: &random)
            )
        default:
            configuration.openWait = .exponential(
                initial: initial,
                multiplier: [1, 2].randomElement(using: &random)!,
                maximum: initial * Int.random(in: 1...4, using: &random),
                jitter: [0.1, 0.5, 0.9].randomElement(using: &random)!
            )
        }
        let trials = Int.random(in: 1...3, using: &random)
        configuration.halfOpen = HalfOpenPolicy(
            trialCalls: trials,
            requiredSuccesses: Int.random(in: 1...trials, using: &random),
            maximumDuration: .milliseconds(Int64.random(in: 100...20_000, using: &random))
        )
        configuration.errorClassifier = ErrorClassifier("ignore-bad-requests") { !($0 is BadRequest) }
        configuration.enforcement = Int.random(in: 0..<5, using: &random) == 0 ? .shadow : .enforcing
        self.configuration = configuration
        randomDraws = (0..<256).map { _ in Double.random(in: 0..<1, using: &random) }
    }

    var description: String {
        let c = configuration
        return """
            seed \(seed), policy \(policy.rawValue): trip \(c.trip), open wait \(c.openWait), \
            half-open \(c.halfOpen.trialCalls) trials / \(c.halfOpen.requiredSuccesses) to close within \
            \(c.halfOpen.maximumDuration), slow over \(c.slowCallThreshold.map { "\($0)" } ?? "-"), \(c.enforcement)
            """
    }

    /// `count` operations drawn for this scenario, each chosen against the model's state as it will be then
    /// (deadlines to land on, calls in flight to finish), so that boundaries are hit on purpose.
    func operations(count: Int) -> [ModelOperation] {
        var random = SeededGenerator(seed: seed ^ 0xA5A5_A5A5_5A5A_5A5A)
        var model = ReferenceBreaker(
            configuration: configuration,
            wallClockOrigin: Self.wallClockOrigin,
            randomDraws: randomDraws
        )
        var calls = ModelCalls()
        var operations: [ModelOperation] = []
        var nextID = 0
        for _ in 0..<count {
            let operation = draw(&random, model: model, inFlight: calls.inFlight, nextID: &nextID)
            calls.apply(operation, to: &model)
            operations.append(operation)
        }
        return operations
    }

    private func draw(
        _ random: inout SeededGenerator,
        model: ReferenceBreaker,
        inFlight: [Int: ReferenceBreaker.Call],
        nextID: inout Int
    ) -> ModelOperation {
        let roll = Int.random(in: 0..<1_000, using: &random)
        let outcome = ReferenceBreaker.Outcome.allCases.randomElement(using: &random)!
        if (roll < 160 && inFlight.count < 6) || (roll < 320 && inFlight.isEmpty) {
            defer { nextID += 1 }
            return .start(id: nextID)
        }
        if roll < 320, let id = inFlight.keys.sorted().randomElement(using: &random) {
            return .finish(id: id, outcome)
        }
        if roll < 520 {
            let synchronous = outcome == .timeout ? ReferenceBreaker.Outcome.failure : outcome
            let takes = Bool.random(using: &random) ? 0 : duration(&random, model: model, inFlight: inFlight)
            return .call(synchronous, takes: takes, api: ModelOperation.CallAPI.allCases.randomElement(using: &random)!)
        }
        if roll < 760 { return .advance(duration(&random, model: model, inFlight: inFlight)) }
        if roll < 800 { return .readState }
        if roll < 820 { return .readGeneration }
        if roll < 880 { return .snapshot }
        if roll < 890 { return .readOverride }
        if roll < 935 {
            let action = BreakerOverride.Action.allCases.randomElement(using: &random)!
            let ttl: Int64 =
                switch Int.random(in: 0..<6, using: &random) {
                case 0: -Int64.random(in: 0...1_000_000_000, using: &random)
                case 1: Int64.random(in: 1...1_000_000, using: &random)
                default: Int64.random(in: 1_000_000...3_600_000_000_000, using: &random)
                }
            return .apply(action, ttl: ttl)
        }
        if roll < 955 { return .clearOverride }
        if roll < 965 || (roll < 985 && model.state == .open) {
            let delay: Int64 =
                switch Int.random(in: 0..<5, using: &random) {
                case 0: -Int64.random(in: 0...1_000, using: &random)
                case 1: Int64.random(in: 86_000_000_000_000...Int64.max, using: &random)
                default: Int64.random(in: 1...600_000_000_000, using: &random)
                }
            return .holdOpen(delay)
        }
        if roll < 990 { return .reset }
        if roll < 995 { return .forceOpen }
        return .disable
    }

    /// A stretch of time: often exactly to the next deadline (or a nanosecond either side), to a call's slow-call
    /// boundary, or a long idle; else anything from 1 ns to a minute.
    private func duration(
        _ random: inout SeededGenerator,
        model: ReferenceBreaker,
        inFlight: [Int: ReferenceBreaker.Call]
    ) -> Int64 {
        let roll = Int.random(in: 0..<100, using: &random)
        if roll < 30, let due = model.nextDue, due < Int64.max / 2 {
            return max(due - model.now + Int64.random(in: -1...1, using: &random), 1)
        }
        if roll < 40, let threshold = configuration.slowCallThreshold,
            let call = inFlight.values.randomElement(using: &random)
        {
            let boundary = call.admittedAt + threshold.nanosecondsValue - model.now
            return max(boundary + Int64.random(in: 0...1, using: &random), 1)
        }
        if roll < 50 { return Int64.random(in: 60_000_000_000...7_200_000_000_000, using: &random) }
        if roll < 60 { return 1 }
        if roll < 80 { return Int64.random(in: 1...1_000_000, using: &random) }
        return Int64.random(in: 1_000_000...60_000_000_000, using: &random)
    }
}

/// The calls in flight while operations are drawn or replayed on the model alone.
struct ModelCalls {
    var inFlight: [Int: ReferenceBreaker.Call] = [:]

    /// Applies `operation` to `model` as the run does (without comparing anything).
    mutating func apply(_ operation: ModelOperation, to model: inout ReferenceBreaker) {
        switch operation {
        case .start(let id):
            if let call = model.admit().1 { inFlight[id] = call }
        case .finish(let id, let outcome):
            if let call = inFlight.removeValue(forKey: id) { model.finish(call, outcome) }
        case .call(let outcome, let takes, _):
            if let call = model.admit().1 {
                model.advance(to: model.now + takes)
                model.finish(call, outcome)
            }
        case .advance(let nanos):
            model.advance(to: model.now + nanos)
        case .apply(let action, let ttl):
            model.apply(ModelRun.override(action, ttl: ttl, model: model))
        case .clearOverride:
            _ = model.clearOverride()
        case .holdOpen(let delay):
            model.holdOpen(for: delay)
        case .reset:
            model.reset()
        case .forceOpen:
            model.forceOpen()
        case .disable:
            model.disable()
        case .readState, .readGeneration, .snapshot, .readOverride:
            break
        }
    }
}
