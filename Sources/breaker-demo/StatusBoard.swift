import CircuitBreaker
import ServiceLifecycle

import Foundation

/// Prints a line per breaker every few seconds: state, call rate, failure ratio and rejections of the last
/// interval, so that a person can follow a breaker trip and recover.
struct StatusBoard: Service {
    let registry: BreakerRegistry
    let statistics: CallStatistics
    let names: [String]
    let interval: Duration

    private struct Totals {
        var calls = 0
        var failures = 0
        var rejections = 0
    }

    func run() async throws {
        let started = ContinuousClock.now
        var previous: [String: Totals] = [:]
        printLine("breaker            state         calls/s   failed   rejected/s   fallbacks")
        while !Task.isShuttingDownGracefully {
            do {
                try await Task.sleep(for: interval)
            } catch {
                return
            }
            let seconds = interval.seconds
            let elapsed = Int((ContinuousClock.now - started).seconds)
            printLine("-- \(elapsed) s")
            for name in names {
                guard let breaker = registry.existingBreaker(named: name) else { continue }
                let counters = statistics.counters(for: name)
                let now = Totals(
                    calls: counters.calls.load(ordering: .relaxed),
                    failures: counters.failures.load(ordering: .relaxed),
                    rejections: counters.rejections.load(ordering: .relaxed)
                )
                let before = previous[name] ?? Totals()
                previous[name] = now
                let calls = now.calls - before.calls
                let executed = calls - (now.rejections - before.rejections)
                let failed = executed > 0 ? Double(now.failures - before.failures) / Double(executed) : 0
                let state = breaker.state
                printLine(
                    pad(name, 18) + " " + pad(marker(state) + state.label, 13)
                        + leftPad(format(Double(calls) / seconds), 8)
                        + leftPad(format(failed * 100) + "%", 9)
                        + leftPad(format(Double(now.rejections - before.rejections) / seconds), 13)
                        + leftPad(String(counters.fallbacks.load(ordering: .relaxed)), 12)
                )
            }
        }
    }

    private func marker(_ state: CircuitState) -> String {
        switch state {
        case .closed: "  "
        case .halfOpen: "~ "
        case .open, .forcedOpen: "! "
        case .disabled: "- "
        }
    }

    private func printLine(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    private func format(_ value: Double) -> String {
        let tenths = Int((value * 10).rounded())
        return "\(tenths / 10).\(abs(tenths % 10))"
    }

    private func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }

    private func leftPad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : String(repeating: " ", count: width - text.count) + text
    }
}
