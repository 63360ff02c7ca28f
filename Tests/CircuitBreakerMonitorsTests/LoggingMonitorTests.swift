import CircuitBreaker
import CircuitBreakerMonitors
import Logging
import Synchronization
import Testing

struct Boom: Error, CustomStringConvertible {
    var description: String { "boom" }
}

/// An error that counts how often it is described, to prove that disabled log levels format nothing.
final class CountingError: Error, CustomStringConvertible, Sendable {
    let descriptions = Atomic<Int>(0)
    var description: String {
        descriptions.add(1, ordering: .relaxed)
        return "counted"
    }
}

@Suite struct LoggingMonitorTests {
    @Test func logsOpenedAndResetAlerts() throws {
        let (logger, store) = CapturingLogHandler.logger(level: .info)
        let clock = ManualClock(wallClockOrigin: 1_700_000_000)
        let breaker = try CircuitBreaker(
            name: "payments",
            configuration: .consecutiveFailures(2, openWait: .seconds(30)),
            monitors: [LoggingMonitor(logger: logger)],
            clock: .manual(clock)
        )
        for _ in 0..<2 { _ = try? breaker.execute { () throws -> Int in throw Boom() } }

        let opened = try #require(store.all.first { $0.message == "circuit opened" })
        #expect(opened.level == .warning)
        #expect(opened.metadata["breaker"] == "payments")
        #expect(opened.metadata["reason"] == "consecutive_failures")
        #expect(opened.metadata["from"] == "closed")
        #expect(opened.metadata["failure_ratio"]?.description == "0.0")
        #expect(opened.metadata["retry_at"]?.description == "1700000030.0")
        #expect(opened.metadata["retry_after"]?.description == "30.0 seconds")

        clock.advance(by: .seconds(31))
        _ = try breaker.execute { 1 }  // the trial call closes it
        let messages = store.all.map(\.message)
        #expect(messages == ["circuit opened", "circuit half-open", "circuit reset"])
        let reset = try #require(store.all.last)
        #expect(reset.level == .notice)
        #expect(reset.metadata["reason"] == "trials_succeeded")

        breaker.forceOpen()
        breaker.reset()
        let manual = try #require(store.all.last)
        #expect(manual.message == "circuit reset")
        #expect(manual.metadata["reason"] == "reset")
        #expect(store.all.filter { $0.message == "circuit reset" }.count == 2)
        #expect(store.all.filter { $0.message == "circuit opened" }.count == 2)
        #expect(!store.all.contains { $0.level <= .debug })
    }

    @Test func keyedBreakersLogTheirKey() throws {
        let (logger, store) = CapturingLogHandler.logger(level: .debug)
        let group = try BreakerGroup(
            name: "partners",
            template: .consecutiveFailures(1),
            monitors: [LoggingMonitor(logger: logger)]
        )
        _ = try? group.execute(key: "partner-07") { () throws -> Int in throw Boom() }
        _ = try? group.execute(key: "partner-07") { 1 }
        _ = try group.execute(key: "partner-08") { 1 }

        let opened = try #require(store.all.first { $0.message == "circuit opened" })
        #expect(opened.metadata["breaker"] == "partners")
        #expect(opened.metadata["key"] == "partner-07")
        let rejected = try #require(store.all.first { $0.message == "call rejected" })
        #expect(rejected.metadata["key"] == "partner-07")
        #expect(store.all.filter { $0.metadata["key"] == "partner-08" }.isEmpty)  // successes log at trace only

        let plain = try CircuitBreaker(
            name: "db",
            configuration: .consecutiveFailures(1),
            monitors: [LoggingMonitor(logger: logger)]
        )
        _ = try? plain.execute { () throws -> Int in throw Boom() }
        #expect(store.all.last { $0.message == "circuit opened" }?.metadata["key"] == nil)
    }

    @Test func perCallEventsAtDebugAndTrace() throws {
        let (logger, store) = CapturingLogHandler.logger(level: .trace)
        let breaker = try CircuitBreaker(
            name: "db",
            configuration: .consecutiveFailures(1),
            monitors: [LoggingMonitor(logger: logger)]
        )
        _ = try breaker.execute { 1 }
        _ = try? breaker.execute { () throws -> Int in throw CancellationError() }
        _ = try? breaker.execute { () throws -> Int in throw Boom() }
        _ = try? breaker.execute { 1 }
        let calls = store.all.filter { $0.message.hasPrefix("call") }
        #expect(calls.map(\.message) == ["call succeeded", "call ignored", "call failed", "call rejected"])
        #expect(calls.map(\.level) == [.trace, .trace, .debug, .debug])
        #expect(calls[2].metadata["error"] == "boom")
        #expect(calls[3].metadata["state"] == "open")
    }

    @Test func disabledLevelsFormatNothing() throws {
        let (logger, store) = CapturingLogHandler.logger(level: .info)
        let breaker = try CircuitBreaker(
            name: "quiet",
            configuration: .consecutiveFailures(100),
            monitors: [LoggingMonitor(logger: logger)]
        )
        let error = CountingError()
        for _ in 0..<10 { _ = try? breaker.execute { () throws -> Int in throw error } }
        _ = try breaker.execute { 1 }
        #expect(error.descriptions.load(ordering: .relaxed) == 0)
        #expect(store.all.isEmpty)
    }

    @Test func configurableAlertLevels() throws {
        let (logger, store) = CapturingLogHandler.logger(level: .trace)
        let monitor = LoggingMonitor(logger: logger, configuration: .init(openedLevel: .critical, resetLevel: .info))
        let breaker = try CircuitBreaker(name: "x", monitors: [monitor])
        breaker.forceOpen()
        breaker.reset()
        #expect(store.all.map(\.level) == [.critical, .info])
    }
}
