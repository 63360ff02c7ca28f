import CircuitBreaker
import Foundation
import PortableRoutes
import Testing

@testable import CircuitBreakerOperations

@Suite("The operations monitor publishes transitions, overrides and resets, and never observes calls")
struct OperationsMonitorTests {
    private func events(_ fixture: Fixture, since lastEventID: String = "0") async -> [String] {
        let response = fixture.handlers.events(operationsRequest(headers: ["last-event-id": lastEventID]))
        let text = await firstChunk(of: response)
        return text.split(separator: "\n").filter { $0.hasPrefix("event: ") }.map { String($0.dropFirst(7)) }
    }

    @Test("a trip, an override, its expiry and a reset are events with ids; calls are not")
    func publishesStateEvents() async throws {
        let fixture = Fixture()
        let payments = try fixture.breaker("payments")
        for _ in 0..<100 { _ = try payments.execute { 1 } }
        #expect(await events(fixture) == ["gap"])
        fail(payments, times: 2)
        _ = fixture.postOverride("payments", #"{"action":"force_open","reason":"x","ttl":"1m"}"#)
        fixture.clock.advance(by: .seconds(61))
        _ = payments.state
        payments.reset()
        // The override's end comes before the transition it causes, as for every override that ends.
        #expect(
            await events(fixture) == [
                "gap", "transition", "transition", "override_applied", "override_ended", "transition", "reset",
            ]
        )
    }

    @Test("the events monitor does not observe calls, so it costs the call path nothing")
    func observesNoCalls() {
        let operations = BreakerOperations(configuration: .init(countsCalls: false), logger: LogRecorder().logger)
        #expect(operations.monitors.count == 1)
        #expect(operations.monitors.allSatisfy { !$0.observesCalls })
        let counting = BreakerOperations(logger: LogRecorder().logger)
        #expect(counting.monitors.filter(\.observesCalls).count == 1)
    }

    @Test("the JSON of an event names the breaker, the transition and its reason")
    func eventJSON() throws {
        let fixture = Fixture()
        let payments = try fixture.breaker("payments")
        let first = try #require(fixture.operations.hub.subscribe(lastEventID: nil))
        fail(payments, times: 2)
        guard case .events(let taken) = fixture.operations.hub.take(client: first.client) else {
            Issue.record("no events")
            return
        }
        let event = try #require(taken.first)
        var writer = JSONWriter()
        event.write(to: &writer)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(writer.bytes)) as? [String: Any])
        #expect(json["type"] as? String == "transition")
        #expect(json["breaker"] as? String == "payments")
        #expect(json["from"] as? String == "closed")
        #expect(json["to"] as? String == "open")
        #expect(json["reason"] as? String == "consecutive_failures")
        #expect(json["generation"] as? Int == 2)
    }

    @Test("recent transitions are kept newest first, a few per breaker")
    func recentTransitions() throws {
        let fixture = Fixture()
        let payments = try fixture.breaker("payments")
        for _ in 0..<4 {
            fail(payments, times: 2)
            payments.reset()
        }
        let recent = fixture.operations.monitor.history.recentTransitions(of: "payments")
        #expect(recent.count == TransitionHistory.depth)
        #expect(recent.map(\.generation) == recent.map(\.generation).sorted(by: >))
    }
}
