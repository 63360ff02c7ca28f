import CircuitBreaker

/// A pretend remote service: answers after a random latency, or fails, as its behaviour says.
struct SimulatedDependency: Sendable {
    struct Unavailable: Error, CustomStringConvertible {
        let dependency: String
        var description: String { "\(dependency) is unavailable" }
    }

    enum Behaviour: Sendable {
        /// Answers in 5-20 ms.
        case healthy
        /// Fails with probability `failureRate`, takes 300-600 ms with probability `slowRate`.
        case flaky(failureRate: Double, slowRate: Double)
        /// Down (fails after 50 ms) for `duration` seconds every `period`, starting `offset` after start.
        case outages(offset: Double, duration: Double, period: Double)
    }

    let name: String
    let behaviour: Behaviour
    let started: ContinuousClock.Instant

    /// Whether the dependency is in an outage now.
    var isDown: Bool {
        guard case .outages(let offset, let duration, let period) = behaviour else { return false }
        let elapsed = (ContinuousClock.now - started).seconds
        guard elapsed >= offset else { return false }
        return (elapsed - offset).truncatingRemainder(dividingBy: period) < duration
    }

    /// One request.
    func call() async throws -> String {
        switch behaviour {
        case .healthy:
            try await Task.sleep(for: .milliseconds(Int.random(in: 5...20)))
        case .flaky(let failureRate, let slowRate):
            let slow = Double.random(in: 0..<1) < slowRate
            try await Task.sleep(for: .milliseconds(slow ? Int.random(in: 300...600) : Int.random(in: 10...40)))
            if Double.random(in: 0..<1) < failureRate { throw Unavailable(dependency: name) }
        case .outages:
            if isDown {
                try await Task.sleep(for: .milliseconds(50))
                throw Unavailable(dependency: name)
            }
            try await Task.sleep(for: .milliseconds(Int.random(in: 10...30)))
        }
        return "\(name): ok"
    }
}

extension Duration {
    var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
