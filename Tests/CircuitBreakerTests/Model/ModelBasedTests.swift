import CircuitBreaker
import Foundation
import Testing

/// The breaker against its reference model (``ReferenceBreaker``), over seeded random runs of every trip policy.
///
/// `MODEL_STEPS` sets the total number of steps (20,000 by default; `make model-check` runs 200,000 or
/// `STEPS=N`), `MODEL_SEED` the first run's seed (else one drawn at random and printed), `MODEL_REPLAY` one run's
/// seed to replay alone. A mismatch prints the run's seed, its configuration and a shrunk operation sequence that
/// still fails, ready to become a regression test.
@Suite("The breaker against its reference model")
struct ModelBasedTests {
    static let stepsPerRun = 300

    @Test("seeded random runs of every policy: admissions, states, events, times and counts agree at every step")
    func randomRuns() throws {
        let environment = ProcessInfo.processInfo.environment
        if let replay = environment["MODEL_REPLAY"].flatMap(UInt64.init) {
            try checkRun(seed: replay, steps: environment["MODEL_STEPS"].flatMap(Int.init) ?? Self.stepsPerRun)
            return
        }
        let totalSteps = environment["MODEL_STEPS"].flatMap(Int.init) ?? 20_000
        let firstSeed = environment["MODEL_SEED"].flatMap(UInt64.init) ?? UInt64.random(in: 0..<(1 << 48))
        let runs = max((totalSteps + Self.stepsPerRun - 1) / Self.stepsPerRun, ModelPolicy.allCases.count)
        let started = ContinuousClock.now
        var failures = 0
        for run in 0..<runs where failures < 3 {
            if try !checkRun(seed: firstSeed &+ UInt64(run), steps: Self.stepsPerRun) { failures += 1 }
        }
        let seconds = (ContinuousClock.now - started) / .seconds(1)
        print(
            "model-check: \(runs * Self.stepsPerRun) steps in \(runs) runs from seed \(firstSeed), "
                + "\(Int(Double(runs * Self.stepsPerRun) / max(seconds, 1e-9))) steps/s, \(failures) failed"
        )
    }

    /// Runs one seed; on a mismatch records an issue with the shrunk sequence and returns false.
    @discardableResult
    func checkRun(seed: UInt64, steps: Int) throws -> Bool {
        let scenario = ModelScenario(seed: seed)
        let operations = scenario.operations(count: steps)
        do {
            try ModelRun.check(scenario, operations)
            return true
        } catch let mismatch as ModelRun.Mismatch {
            let shrunk = Self.shrink(scenario, Array(operations.prefix(mismatch.step + 1)))
            var failure = mismatch
            do { try ModelRun.check(scenario, shrunk) } catch let last as ModelRun.Mismatch { failure = last }
            Issue.record(
                """
                The breaker and its model disagree: \(failure)
                Scenario: \(scenario.description)
                Replay: MODEL_REPLAY=\(seed) swift test --filter ModelBasedTests
                Shrunk to \(shrunk.count) of \(mismatch.step + 1) steps:
                \(shrunk.enumerated().map { "  \($0.offset): \($0.element)" }.joined(separator: "\n"))
                """
            )
            return false
        }
    }

    /// The shortest sequence found that still fails: removes chunks, halving their size, while the run still
    /// disagrees with the model (delta debugging; bounded).
    static func shrink(_ scenario: ModelScenario, _ operations: [ModelOperation]) -> [ModelOperation] {
        func fails(_ candidate: [ModelOperation]) -> Bool {
            do {
                try ModelRun.check(scenario, candidate)
                return false
            } catch {
                return true
            }
        }
        var current = operations
        var chunk = max(current.count / 2, 1)
        var attempts = 0
        while attempts < 5_000 {
            var removed = false
            var start = 0
            while start < current.count && attempts < 5_000 {
                var candidate = current
                candidate.removeSubrange(start..<min(start + chunk, current.count))
                attempts += 1
                if fails(candidate) {
                    current = candidate
                    removed = true
                } else {
                    start += chunk
                }
            }
            if chunk == 1 && !removed { break }
            if !removed { chunk = max(chunk / 2, 1) }
        }
        return current
    }
}
