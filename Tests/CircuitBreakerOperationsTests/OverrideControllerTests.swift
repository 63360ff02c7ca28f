import CircuitBreaker
import CircuitBreakerPrometheus
import Foundation
import Prometheus
import PortableRoutes
import Testing

@testable import CircuitBreakerOperations

@Suite("Override API: applied, expired, cleared, audited and counted")
struct OverrideControllerTests {
    @Test("force open holds the breaker open until the TTL ends, then it returns to automatic control")
    func forceOpenExpires() throws {
        let fixture = Fixture()
        let payments = try fixture.breaker("payments")
        let response = fixture.postOverride("payments", #"{"action":"force_open","reason":"incident","ttl":"30m"}"#)
        #expect(response.status == 200)
        let body = try object(response)
        #expect(body["state"] as? String == "forced_open")
        let override = try #require(body["override"] as? [String: Any])
        #expect(override["actor"] as? String == "alice")
        #expect(override["expires_at"] as? Double == 1_700_001_800.0)
        #expect(throws: CallRejectedError.self) { try payments.execute { 1 } }

        fixture.clock.advance(by: .seconds(1_799))
        #expect(payments.state == .forcedOpen)
        fixture.clock.advance(by: .seconds(1))
        #expect(payments.state == .closed)
        #expect(payments.snapshot().lastTransition?.reason == .overrideExpired)
        #expect(try payments.execute { 1 } == 1)
    }

    @Test("disable lets calls through without tripping; DELETE clears it at once")
    func disableAndClear() throws {
        let fixture = Fixture()
        let payments = try fixture.breaker("payments")
        #expect(fixture.postOverride("payments", #"{"action":"disable","reason":"noisy","ttl":"1h"}"#).status == 200)
        fail(payments, times: 5)
        #expect(payments.state == .disabled)
        let cleared = fixture.handlers.clearOverride(
            operationsRequest(method: .delete, pathParameters: ["name": "payments"], user: "bob")
        )
        #expect(cleared.status == 200)
        #expect(try object(cleared)["state"] as? String == "closed")
        #expect(payments.activeOverride == nil)
        let audit = fixture.log.all.filter { $0.metadata["audit"] == "override_cleared" }
        #expect(audit.count == 1)
        #expect(audit.first?.metadata["actor"] == "bob")
        #expect(audit.first?.message.contains("disable on payments by alice") == true)
    }

    @Test("reset closes an open breaker now and leaves no override")
    func reset() throws {
        let fixture = Fixture()
        let payments = try fixture.breaker("payments")
        fail(payments, times: 2)
        #expect(payments.state == .open)
        let response = fixture.postOverride("payments", #"{"action":"reset","reason":"fixed","ttl":"1m"}"#)
        #expect(response.status == 200)
        #expect(payments.state == .closed)
        #expect(try object(response)["override"] is NSNull)
    }

    @Test("unknown breaker is 404 and bad bodies are 400, each with a JSON error body; nothing is applied")
    func errors() throws {
        let fixture = Fixture()
        let payments = try fixture.breaker("payments")
        let unknown = fixture.postOverride("payment", #"{"action":"force_open","reason":"x","ttl":"5m"}"#)
        #expect(unknown.status == 404)
        #expect(try errorCode(unknown) == "unknown_breaker")
        #expect(unknown.header("content-type") == "application/json")
        for (body, code) in [
            ("{not json", "bad_json"), (#"{"action":"explode","reason":"x","ttl":"5m"}"#, "unknown_action"),
            (#"{"action":"force_open","reason":"x","ttl":"soon"}"#, "bad_ttl"),
            (#"{"action":"force_open","reason":"x","ttl":"25h"}"#, "ttl_too_long"),
        ] {
            let response = fixture.postOverride("payments", body)
            #expect(response.status == 400, "\(body)")
            #expect(try errorCode(response) == code)
        }
        let missing = fixture.handlers.clearOverride(operationsRequest(method: .delete, pathParameters: ["name": "x"]))
        #expect(missing.status == 404)
        #expect(payments.state == .closed)
        #expect(payments.activeOverride == nil)
        #expect(fixture.log.all.allSatisfy { $0.metadata["audit"] == nil })
    }

    @Test("the audit line says who, what, why and until when")
    func auditLine() throws {
        let fixture = Fixture()
        _ = try fixture.breaker("payments")
        _ = fixture.postOverride("payments", #"{"action":"force_open","reason":"provider incident","ttl":"30m"}"#)
        let line = try #require(fixture.log.all.first { $0.metadata["audit"] == "override_applied" })
        #expect(line.level == .notice)
        #expect(line.metadata["actor"] == "alice")
        #expect(line.metadata["action"] == "force_open")
        #expect(line.metadata["breaker"] == "payments")
        #expect(line.metadata["reason"] == "provider incident")
        #expect(line.metadata["ttl"] == "30m")
        #expect(line.metadata["expires_at"] == "2023-11-14T22:43:20Z")
        #expect(line.message.contains("alice force_open payments until 2023-11-14T22:43:20Z"))
    }

    @Test("two concurrent overrides on one breaker: the last applied wins; both are counted and logged")
    func concurrentOverrides() async throws {
        let prometheus = PrometheusCollectorRegistry()
        let fixture = Fixture(extraMonitors: [PrometheusMonitor(registry: prometheus)])
        let payments = try fixture.breaker("payments")
        let handlers = fixture.handlers
        let statuses = await withTaskGroup(of: Int.self) { group in
            for user in ["alice", "bob"] {
                group.addTask {
                    handlers.applyOverride(
                        operationsRequest(
                            method: .post,
                            pathParameters: ["name": "payments"],
                            body: Array(#"{"action":"force_open","reason":"by \#(user)","ttl":"10m"}"#.utf8),
                            user: user
                        )
                    ).status.code
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(statuses == [200, 200])
        // The winner is the one in force; the other was applied first and replaced (its end was reported).
        let winner = try #require(payments.activeOverride)
        let loser = winner.actor == "alice" ? "bob" : "alice"
        let events = try await collectedEvents(fixture)
        let ended = events.filter { $0["type"] as? String == "override_ended" }
        #expect(ended.count == 1)
        #expect(ended.first?["actor"] as? String == loser)
        #expect(ended.first?["expired"] as? Bool == false)
        #expect(events.filter { $0["type"] as? String == "override_applied" }.count == 2)
        let audit = fixture.log.all.filter { $0.metadata["audit"] == "override_applied" }
        #expect(Set(audit.compactMap { $0.metadata["actor"] }) == ["alice", "bob"])
        let exposition = PrometheusMonitor(registry: prometheus).emitToString()
        #expect(exposition.contains(#"circuit_breaker_overrides_total{breaker="payments",action="force_open"} 2"#))
    }

    /// Every event published so far, replayed from the start of the stream.
    private func collectedEvents(_ fixture: Fixture) async throws -> [[String: Any]] {
        let response = fixture.handlers.events(operationsRequest(headers: ["last-event-id": "0"]))
        let text = await firstChunk(of: response)
        return try text.split(separator: "\n").filter { $0.hasPrefix("data: ") }.map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.dropFirst(6).utf8)) as? [String: Any])
        }.filter { $0["type"] != nil }
    }
}
