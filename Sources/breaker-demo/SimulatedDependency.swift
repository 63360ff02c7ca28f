import CircuitBreaker

/// A pretend remote service: answers after a random latency, or fails, as its behaviour says.
///
/// The demo calls most of them in process (``call()``); the partners' upstreams answer HTTP requests with the same
/// schedule (``nextAnswer()``, see `PartnerUpstreams`), so their outages line up with payments' either way.
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

    /// What one request gets: after how long, and whether it fails.
    struct Answer: Sendable {
        let latency: Duration
        let fails: Bool
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

    /// The answer to a request made now, drawn at random as the behaviour says.
    func nextAnswer() -> Answer {
        switch behaviour {
        case .healthy:
            return Self.healthyAnswer()
        case .flaky(let failureRate, let slowRate):
            let slow = Double.random(in: 0..<1) < slowRate
            return Answer(
                latency: .milliseconds(slow ? Int.random(in: 300...600) : Int.random(in: 10...40)),
                fails: Double.random(in: 0..<1) < failureRate
            )
        case .outages:
            if isDown { return Answer(latency: .milliseconds(50), fails: true) }
            return Answer(latency: .milliseconds(Int.random(in: 10...30)), fails: false)
        }
    }

    /// The answer of a healthy dependency: success in 5-20 ms.
    static func healthyAnswer() -> Answer {
        Answer(latency: .milliseconds(Int.random(in: 5...20)), fails: false)
    }

    /// One request, in process.
    func call() async throws -> String {
        let answer = nextAnswer()
        try await Task.sleep(for: answer.latency)
        if answer.fails { throw Unavailable(dependency: name) }
        return "\(name): ok"
    }
}

extension Duration {
    var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
