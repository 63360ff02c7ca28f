import CircuitBreaker
import Testing

@testable import CircuitBreakerOperations

@Suite("Override requests: the body is checked before anything is applied")
struct OverrideRequestTests {
    private func code(_ body: String, maximum: Duration = .seconds(3_600)) -> OperationsError.Code? {
        do {
            _ = try OverrideRequest(body: Array(body.utf8), maximumTTL: maximum)
            return nil
        } catch {
            return error.code
        }
    }

    @Test("a complete request parses")
    func parses() throws {
        let request = try OverrideRequest(
            body: Array(#"{"action":"force_open","reason":"provider incident","ttl":"30m"}"#.utf8),
            maximumTTL: .seconds(3_600)
        )
        #expect(request.action == .forceOpen)
        #expect(request.reason == "provider incident")
        #expect(request.ttl == .seconds(1_800))
    }

    @Test("bad JSON, unknown keys, missing and mistyped fields are refused with their codes")
    func refusesMalformedBodies() {
        #expect(code("") == .badJSON)
        #expect(code("{") == .badJSON)
        #expect(code("[1]") == .badJSON)
        #expect(code(#"{"action":"disable","reason":"x","ttl":"5m","TTL":"6m"}"#) == .unknownField)
        #expect(code(#"{"action":"disable","ttl":"5m"}"#) == .missingField)
        #expect(code(#"{"reason":"x","ttl":"5m"}"#) == .missingField)
        #expect(code(#"{"action":"disable","reason":"x"}"#) == .missingField)
        #expect(code(#"{"action":"disable","reason":"x","ttl":300}"#) == .invalidField)
        #expect(code(#"{"action":"disable","reason":true,"ttl":"5m"}"#) == .invalidField)
        #expect(code(#"{"action":"disable","reason":"  ","ttl":"5m"}"#) == .invalidField)
        #expect(code(#"{"action":"disable","reason":"two\nlines","ttl":"5m"}"#) == .invalidField)
        let long = String(repeating: "r", count: OverrideRequest.maximumReasonLength + 1)
        #expect(code(#"{"action":"disable","reason":"\#(long)","ttl":"5m"}"#) == .invalidField)
    }

    @Test("an unknown action is refused")
    func refusesUnknownActions() {
        #expect(code(#"{"action":"force_closed","reason":"x","ttl":"5m"}"#) == .unknownAction)
        #expect(code(#"{"action":"FORCE_OPEN","reason":"x","ttl":"5m"}"#) == .unknownAction)
    }

    @Test("bad and overlong TTLs are refused; reset takes the same TTL rules")
    func refusesBadTTLs() {
        for ttl in ["", "30", "m", "1.5h", "-5m", "5m1h", "5m5m", "0s", "1000000000h", "5 m"] {
            #expect(code(#"{"action":"reset","reason":"x","ttl":"\#(ttl)"}"#) == .badTTL, "\(ttl)")
        }
        #expect(code(#"{"action":"disable","reason":"x","ttl":"2h"}"#) == .ttlTooLong)
        #expect(code(#"{"action":"reset","reason":"x","ttl":"1h"}"#) == nil)
    }

    @Test("TTLs read as Prometheus durations and format back")
    func timeToLive() throws {
        #expect(try TimeToLive.parse("90s") == .seconds(90))
        #expect(try TimeToLive.parse("1h30m") == .seconds(5_400))
        #expect(try TimeToLive.parse("2d") == .seconds(172_800))
        #expect(try TimeToLive.parse("1s500ms") == .milliseconds(1_500))
        #expect(TimeToLive.format(.seconds(5_400)) == "1h30m")
        #expect(TimeToLive.format(.seconds(86_461)) == "1d1m1s")
    }

    @Test("errors carry the HTTP status of their code and compare by code")
    func errorStatuses() {
        #expect(OperationsError.Code.badTTL.httpStatus == 400)
        #expect(OperationsError.Code.unknownBreaker.httpStatus == 404)
        #expect(OperationsError.Code.tooManyClients.httpStatus == 503)
        #expect(OperationsError(.badJSON, "a") == OperationsError(.badJSON, "b"))
        #expect(OperationsError(.badJSON, "a") != OperationsError(.badTTL, "a"))
    }
}
