import CircuitBreaker
import Foundation
import PortableRoutes
import Testing

@testable import CircuitBreakerOperations

@Suite("Status API: the list and one breaker, as JSON; GETs change nothing")
struct StatusRendererTests {
    @Test("the list holds every breaker, sorted, with state, policy, window, counts and override")
    func list() throws {
        let fixture = Fixture()
        let payments = try fixture.breaker("payments")
        var shadow = CircuitBreaker.Configuration(
            trip: .failureRatio(0.5, window: .count(10), minimumCalls: 2),
            openWait: .fixed(.seconds(10))
        )
        shadow.enforcement = .shadow
        let search = try fixture.breaker("search", shadow)
        fail(payments, times: 2)
        fail(search, times: 4)
        _ = try search.execute { 1 }  // runs although the shadow breaker is open: 3 calls it would have rejected
        let response = fixture.handlers.listBreakers(operationsRequest())
        #expect(response.status == 200)
        #expect(response.header("content-type") == "application/json")
        let document = try object(response)
        let breakers = try #require(document["breakers"] as? [[String: Any]])
        #expect(breakers.map { $0["name"] as? String } == ["payments", "search"])

        let first = breakers[0]
        #expect(first["state"] as? String == "open")
        #expect(first["generation"] as? Int == 2)
        #expect((first["retry_after_seconds"] as? Double) == 30)
        let transition = try #require(first["last_transition"] as? [String: Any])
        #expect(transition["reason"] as? String == "consecutive_failures")
        #expect(transition["from"] as? String == "closed")
        let policy = try #require(first["policy"] as? [String: Any])
        #expect(policy["consecutive_failure_threshold"] as? Int == 2)
        #expect(policy["failure_ratio_threshold"] is NSNull)
        #expect(policy["enforcement"] as? String == "enforcing")
        #expect((first["calls"] as? [String: Any])?["failed"] as? Int == 2)
        #expect(first["override"] is NSNull)

        let second = breakers[1]
        #expect((second["policy"] as? [String: Any])?["enforcement"] as? String == "shadow")
        #expect((second["policy"] as? [String: Any])?["failure_ratio_threshold"] as? Double == 0.5)
        #expect((second["window"] as? [String: Any])?["failure_ratio"] as? Double == 1)
        #expect((second["calls"] as? [String: Any])?["shadow_rejected"] as? Int == 3)
        let stream = try #require(document["event_stream"] as? [String: Any])
        #expect(stream["dropped_clients"] as? Int == 0)
    }

    @Test("one breaker by name; an unknown name is 404 with a JSON error")
    func one() throws {
        let fixture = Fixture()
        _ = try fixture.breaker("a/b c")
        let found = fixture.handlers.showBreaker(operationsRequest(pathParameters: ["name": "a/b c"]))
        #expect(found.status == 200)
        #expect(try object(found)["name"] as? String == "a/b c")
        let missing = fixture.handlers.showBreaker(operationsRequest(pathParameters: ["name": "nope"]))
        #expect(missing.status == 404)
        #expect(try errorCode(missing) == "unknown_breaker")
    }

    @Test("without call counting the API reports calls as null")
    func noCounts() throws {
        let fixture = Fixture(configuration: .init(countsCalls: false))
        _ = try fixture.breaker("a")
        let breakers = try #require(try object(fixture.handlers.listBreakers(operationsRequest()))["breakers"] as? [[String: Any]])
        #expect(breakers.first?["calls"] is NSNull)
    }

    @Test("GET routes have no side effects: no state, generation, override or event changes")
    func getsChangeNothing() throws {
        let fixture = Fixture()
        let payments = try fixture.breaker("payments")
        fail(payments, times: 2)
        let before = payments.snapshot()
        let lastEvent = fixture.operations.hub.lastEventID
        for route in fixture.operations.routes(for: fixture.registry) where route.methods == [.get] {
            let response = try route.handler(operationsRequest(pathParameters: ["name": "payments"]))
            #expect(response.status == 200, "\(route.path)")
        }
        let after = payments.snapshot()
        #expect(after.state == before.state)
        #expect(after.generation == before.generation)
        #expect(after.activeOverride == nil)
        #expect(fixture.operations.hub.lastEventID == lastEvent)
    }

    @Test("the route table: methods, paths, access levels and body limits")
    func routeTable() {
        let fixture = Fixture()
        let table = fixture.operations.routes(for: fixture.registry).map {
            "\($0.methods.map(\.rawValue).sorted()) \($0.path) \($0.access) \($0.bodyLimit)"
        }
        #expect(
            table == [
                #"["GET"] / scrape 0"#, #"["GET"] /admin admin 0"#, #"["GET"] /api/v1/breakers scrape 0"#,
                #"["GET"] /api/v1/breakers/{name} scrape 0"#, #"["GET"] /api/v1/events scrape 0"#,
                #"["POST"] /api/v1/breakers/{name}/override admin 4096"#,
                #"["DELETE"] /api/v1/breakers/{name}/override admin 64"#,
            ]
        )
        // Read routes follow readAccess; overrides stay admin.
        let open = fixture.operations.routes(for: fixture.registry, readAccess: .public)
        #expect(open.map(\.access) == [.public, .admin, .public, .public, .public, .admin, .admin])
    }
}
