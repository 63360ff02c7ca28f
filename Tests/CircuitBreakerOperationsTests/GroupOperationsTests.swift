import CircuitBreaker
import CircuitBreakerInternals
import Foundation
import PortableRoutes
import Testing

@testable import CircuitBreakerOperations

extension Fixture {
    /// The registry's group `partners` (consecutive failures, 2; room for `maximumKeys` keys).
    func partners(
        maximumKeys: Int = 1_000,
        overflow: BreakerGroup.OverflowPolicy = .sharedBreaker
    ) throws -> BreakerGroup {
        try registry.group(
            named: "partners",
            configuration: .init(maximumKeys: maximumKeys, overflow: overflow)
        )
    }

    /// `GET /api/v1/groups/{group}` with `query`.
    func showGroup(_ group: String, query: [String: String] = [:]) -> RouteResponse {
        handlers.showGroup(operationsRequest(pathParameters: ["group": group], query: query))
    }

    /// `POST /api/v1/groups/{group}/keys/{key}/override`.
    func postKeyOverride(_ group: String, _ key: String, _ body: String, user: String? = "alice") -> RouteResponse {
        handlers.applyKeyOverride(
            operationsRequest(
                method: .post,
                pathParameters: ["group": group, "key": key],
                body: Array(body.utf8),
                user: user
            )
        )
    }

    /// `POST /api/v1/groups/{group}/override`.
    func postGroupOverride(_ group: String, _ body: String, user: String? = "alice") -> RouteResponse {
        handlers.applyGroupOverride(
            operationsRequest(method: .post, pathParameters: ["group": group], body: Array(body.utf8), user: user)
        )
    }

    /// `DELETE /api/v1/groups/{group}/override`.
    func deleteGroupOverride(_ group: String) -> RouteResponse {
        handlers.clearGroupOverride(
            operationsRequest(method: .delete, pathParameters: ["group": group], user: "alice")
        )
    }

    /// The events published so far (replayed from the hub's buffer).
    func events() -> [OperationsEvent] {
        guard let subscription = EventSubscription.connect(to: operations.hub, lastEventID: "0") else { return [] }
        return (subscription.take() ?? []).filter { $0.kind != .gap }
    }
}

private let forceOpen = #"{"action":"force_open","reason":"partner incident","ttl":"30m"}"#

@Suite("Groups in the status API: summaries, pages of keys, one key")
struct GroupStatusTests {
    @Test("the list sums a group up: key count, cap, states, evictions, overflow, and the keys not closed")
    func summary() throws {
        let fixture = Fixture()
        let group = try fixture.partners(maximumKeys: 50)
        for index in 0..<5 { _ = try group.breaker(for: "host-\(index)") }
        fail(try group.breaker(for: "host-3"), times: 2)
        let document = try object(fixture.handlers.listGroups(operationsRequest()))
        let groups = try #require(document["groups"] as? [[String: Any]])
        #expect(groups.count == 1)
        let partners = try #require(groups.first)
        #expect(partners["name"] as? String == "partners")
        #expect(partners["key_count"] as? Int == 5)
        #expect(partners["maximum_keys"] as? Int == 50)
        #expect(partners["evictions"] as? Int == 0)
        #expect(partners["overflows"] as? Int == 0)
        #expect(partners["overflow_policy"] as? String == "shared_breaker")
        #expect(partners["keys_not_closed"] as? Int == 1)
        let counts = try #require(partners["state_counts"] as? [String: Int])
        #expect(counts == ["closed": 4, "open": 1, "half_open": 0, "forced_open": 0, "disabled": 0])
        let notClosed = try #require(partners["not_closed_keys"] as? [[String: Any]])
        #expect(notClosed.map { $0["key"] as? String } == ["host-3"])
        #expect(notClosed.first?["group"] as? String == "partners")
        #expect(notClosed.first?["state"] as? String == "open")
        // The key's own history: its trip, not another key's.
        let recent = try #require(notClosed.first?["recent_transitions"] as? [[String: Any]])
        #expect(recent.map { $0["to"] as? String } == ["open"])
        #expect((partners["overflow_breaker"] as? [String: Any])?["key"] is NSNull)
    }

    @Test("a group of 250 keys is listed in pages: limit, after, next_after and the total that matches")
    func paging() throws {
        let fixture = Fixture()
        let group = try fixture.partners()
        for index in 0..<250 { _ = try group.breaker(for: String(format: "k%03d", index)) }
        fail(try group.breaker(for: "k007"), times: 2)
        var seen: [String] = []
        var after: String?
        var pages = 0
        repeat {
            var query = ["limit": "100"]
            query["after"] = after
            let page = try object(fixture.showGroup("partners", query: query))
            #expect(page["matching_keys"] as? Int == 250)
            #expect(page["key_count"] as? Int == 250)
            let keys = try #require(page["keys"] as? [[String: Any]])
            #expect(keys.count <= 100)
            seen += keys.compactMap { $0["key"] as? String }
            after = page["next_after"] as? String
            pages += 1
        } while after != nil && pages < 10
        #expect(pages == 3)
        #expect(seen == (0..<250).map { String(format: "k%03d", $0) })
        // Without a limit: the default; with a state filter: only those keys.
        let first = try object(fixture.showGroup("partners"))
        #expect((first["keys"] as? [Any])?.count == KeyPageQuery.defaultLimit)
        let open = try object(fixture.showGroup("partners", query: ["state": "not_closed"]))
        #expect(open["matching_keys"] as? Int == 1)
        #expect((open["keys"] as? [[String: Any]])?.first?["key"] as? String == "k007")
        #expect(open["next_after"] is NSNull)
    }

    @Test(
        "a page query the API does not take is refused with 400 invalid_query",
        arguments: [
            ["limit": "0"], ["limit": "1001"], ["limit": "-1"], ["limit": "99999999999999999999"], ["limit": "ten"],
            ["limit": ""], ["after": ""], ["state": "melting"],
        ]
    )
    func badQuery(query: [String: String]) throws {
        let fixture = Fixture()
        _ = try fixture.partners()
        let response = fixture.showGroup("partners", query: query)
        #expect(response.status == 400)
        #expect(try errorCode(response) == "invalid_query")
    }

    @Test("unknown group and key: 404 with their codes; a key longer than the group takes: 400 key_too_long")
    func unknowns() throws {
        let fixture = Fixture()
        let group = try fixture.partners()
        _ = try group.breaker(for: "a")
        #expect(try errorCode(fixture.showGroup("nope")) == "unknown_group")
        #expect(fixture.showGroup("nope").status == 404)
        let key = { (key: String) in
            fixture.handlers.showKey(operationsRequest(pathParameters: ["group": "partners", "key": key]))
        }
        #expect(key("a").status == 200)
        #expect(try object(key("a"))["key"] as? String == "a")
        #expect(key("b").status == 404)
        #expect(try errorCode(key("b")) == "unknown_key")
        let long = String(repeating: "k", count: 10_240)
        #expect(key(long).status == 400)
        #expect(try errorCode(key(long)) == "key_too_long")
        // The message quotes at most a prefix of the key.
        #expect(key(long).bytes.count < 1_000)
        #expect(group.count == 1)
    }

    @Test("a group made outside the registry with the operations' monitors is listed; one without is read-only")
    func standaloneGroups() throws {
        let fixture = Fixture()
        let watched = try BreakerGroup(
            name: "outside",
            monitors: fixture.operations.monitors,
            clock: .manual(fixture.clock)
        )
        _ = try watched.breaker(for: "x")
        let unwatched = try BreakerGroup(name: "bare", clock: .manual(fixture.clock))
        _ = try unwatched.breaker(for: "y")
        let names = try #require(
            try object(fixture.handlers.listGroups(operationsRequest()))["groups"] as? [[String: Any]]
        )
        .compactMap { $0["name"] as? String }
        #expect(names == ["outside"])
        #expect(fixture.showGroup("outside").status == 200)
        withExtendedLifetime(unwatched) {}
    }
}

@Suite("Overrides per key and per group")
struct GroupOverrideTests {
    @Test("a key's override holds that key only, is audited with the key escaped, and its events name the key")
    func perKey() throws {
        let fixture = Fixture()
        let group = try fixture.partners()
        let hostile = "a\"b\nc</script>"
        _ = try group.breaker(for: hostile)
        let other = try group.breaker(for: "other")
        let response = fixture.postKeyOverride("partners", hostile, forceOpen)
        #expect(response.status == 200)
        let document = try object(response)
        #expect(document["key"] as? String == hostile)
        #expect(document["state"] as? String == "forced_open")
        #expect(try group.breaker(for: hostile).state == .forcedOpen)
        #expect(other.state == .closed)
        let audit = try #require(fixture.log.all.first { $0.message.hasPrefix("override applied") })
        #expect(!audit.message.contains("\n"))
        #expect(audit.message.contains(#"partners key "a\"b\nc</script>""#))
        #expect(audit.metadata["key"] == hostile)
        #expect(audit.metadata["scope"] == "key")
        let events = fixture.events()
        let applied = try #require(events.first { $0.kind == .overrideApplied })
        #expect(applied.group == "partners")
        #expect(applied.key == hostile)
        let transition = try #require(events.first { $0.kind == .transition })
        #expect(transition.key == hostile)
        // On the wire: one data line, the key escaped.
        var sse: [UInt8] = []
        ServerSentEvents.append(applied, to: &sse)
        let text = String(decoding: sse, as: UTF8.self)
        #expect(text.split(separator: "\n", omittingEmptySubsequences: false).count == 5)
        #expect(text.contains(#""scope":"key","group":"partners","key":"a\"b\nc</script>""#))
    }

    @Test("overriding a key that does not exist is 404 and creates nothing, however many are tried")
    func madeUpKeys() throws {
        let fixture = Fixture()
        let group = try fixture.partners(maximumKeys: 3, overflow: .reject)
        _ = try group.breaker(for: "real")
        for index in 0..<500 {
            let response = fixture.postKeyOverride("partners", "made-up-\(index)", forceOpen)
            #expect(response.status == 404)
        }
        #expect(try errorCode(fixture.postKeyOverride("partners", "made-up", forceOpen)) == "unknown_key")
        #expect(group.count == 1)
        #expect(group.overflows == 0)
        #expect(try errorCode(fixture.postKeyOverride("nope", "real", forceOpen)) == "unknown_group")
        let long = fixture.postKeyOverride("partners", String(repeating: "x", count: 10_240), forceOpen)
        #expect(try errorCode(long) == "key_too_long")
        #expect(fixture.postKeyOverride("partners", "real", forceOpen, user: nil).status == 200)
    }

    @Test("a key with an override is never evicted; after its override ends it can be")
    func overriddenKeyStays() throws {
        let fixture = Fixture()
        let group = try fixture.partners(maximumKeys: 2, overflow: .reject)
        _ = try group.breaker(for: "held")
        _ = try group.breaker(for: "idle")
        #expect(fixture.postKeyOverride("partners", "held", forceOpen).status == 200)
        _ = try group.breaker(for: "new-1")  // evicts "idle", the one idle key
        #expect(Set(group.keys) == ["held", "new-1"])
        // "new-1" is idle, "held" is not: the next key evicts "new-1".
        _ = try group.breaker(for: "new-2")
        #expect(Set(group.keys) == ["held", "new-2"])
        // Evicted keys leave no history behind.
        let identities = fixture.operations.monitor.history.all().keys
        #expect(!identities.contains(.key("idle", of: "partners")))
        #expect(!identities.contains(.key("new-1", of: "partners")))
    }

    @Test("a group's override holds every key, keys created while it lasts and the overflow breaker; one event")
    func perGroup() throws {
        let fixture = Fixture()
        let group = try fixture.partners(maximumKeys: 100)
        for index in 0..<50 { _ = try group.breaker(for: "k\(index)") }
        let eventsBefore = fixture.events().count
        let response = fixture.postGroupOverride("partners", forceOpen)
        #expect(response.status == 200)
        let document = try object(response)
        #expect((document["override"] as? [String: Any])?["action"] as? String == "force_open")
        #expect((document["state_counts"] as? [String: Int])?["forced_open"] == 50)
        #expect(group.breakers.allSatisfy { $0.state == .forcedOpen })
        #expect(group.overflowBreaker?.state == .forcedOpen)
        // Keys created later get it too.
        #expect(try group.breaker(for: "later").state == .forcedOpen)
        // One event for the group, not one per key.
        let events = fixture.events().dropFirst(eventsBefore)
        #expect(events.count == 1)
        #expect(events.first?.kind == .overrideApplied)
        #expect(events.first?.group == "partners")
        #expect(events.first?.key == nil)
        #expect(events.first?.overflow == false)
        let audit = fixture.log.all.filter { $0.message.hasPrefix("override applied") }
        #expect(audit.count == 1)
        #expect(audit.first?.metadata["scope"] == "group")

        // Clearing one key that holds the group's override is that key's event.
        let beforeKeyClear = fixture.events().count
        let cleared = fixture.handlers.clearKeyOverride(
            operationsRequest(method: .delete, pathParameters: ["group": "partners", "key": "k2"], user: "alice")
        )
        #expect(cleared.status == 200)
        #expect(try group.breaker(for: "k2").state == .closed)
        let keyEvents = fixture.events().dropFirst(beforeKeyClear)
        #expect(keyEvents.contains { $0.kind == .overrideEnded && $0.key == "k2" && !$0.expired })

        // A key's own override replaces the group's on that key, and survives the group's clearing.
        #expect(
            fixture.postKeyOverride("partners", "k1", #"{"action":"disable","reason":"r","ttl":"1h"}"#).status == 200
        )
        #expect(fixture.deleteGroupOverride("partners").status == 200)
        #expect(try group.breaker(for: "k0").state == .closed)
        #expect(try group.breaker(for: "later").state == .closed)
        #expect(try group.breaker(for: "k1").state == .disabled)
        #expect(group.overflowBreaker?.state == .closed)
        #expect(try object(fixture.showGroup("partners"))["override"] is NSNull)
        #expect(try group.breaker(for: "after-clear").state == .closed)
    }

    @Test("a group's override expires on every key by itself, and its expiry is one event")
    func groupExpiry() throws {
        let fixture = Fixture()
        let group = try fixture.partners()
        for index in 0..<10 { _ = try group.breaker(for: "k\(index)") }
        #expect(fixture.postGroupOverride("partners", forceOpen).status == 200)
        fixture.clock.advance(by: .seconds(1_801))
        #expect(group.breakers.allSatisfy { $0.state == .closed })
        #expect(try group.breaker(for: "new").state == .closed)
        let ended = fixture.events().filter { $0.kind == .overrideEnded }
        #expect(ended.count == 1)
        #expect(ended.first?.expired == true)
        #expect(ended.first?.group == "partners")
        #expect(try object(fixture.showGroup("partners"))["override"] is NSNull)
    }

    @Test("a group reset closes every key and ends the group's override")
    func groupReset() throws {
        let fixture = Fixture()
        let group = try fixture.partners()
        for index in 0..<5 { fail(try group.breaker(for: "k\(index)"), times: 2) }
        #expect(fixture.postGroupOverride("partners", forceOpen).status == 200)
        let reset = fixture.postGroupOverride("partners", #"{"action":"reset","reason":"fixed","ttl":"1m"}"#)
        #expect(reset.status == 200)
        #expect(group.breakers.allSatisfy { $0.state == .closed })
        #expect(try group.breaker(for: "new").state == .closed)
    }

    @Test("a group's override and a key's survive a restart; the key's is restored when the key comes back")
    func restart() throws {
        let path = try temporaryDirectory() + "/overrides.json"
        let clock = ManualClock()
        let before = Fixture(configuration: .init(stateFile: path), clock: clock)
        let group = try before.partners()
        _ = try group.breaker(for: "held\nkey")
        _ = try group.breaker(for: "plain")
        #expect(
            before.postKeyOverride("partners", "held\nkey", #"{"action":"disable","reason":"r","ttl":"1h"}"#).status
                == 200
        )
        #expect(before.postGroupOverride("other", forceOpen).status == 404)
        let saved = try before.operations.keeper.file?.loadForTest() ?? [:]
        #expect(
            saved == [
                .key(group: "partners", key: "held\nkey"): try #require(group.breaker(for: "held\nkey").activeOverride)
            ]
        )
        let second = Fixture(configuration: .init(stateFile: path), clock: clock)
        let againGroup = try second.partners()
        #expect(try againGroup.breaker(for: "plain").state == .closed)
        #expect(try againGroup.breaker(for: "held\nkey").state == .disabled)
        #expect(second.postGroupOverride("partners", forceOpen).status == 200)
        let onDisk = try second.operations.keeper.file?.loadForTest() ?? [:]
        #expect(onDisk[.group("partners")]?.action == .forceOpen)
        // The group's override replaced the key's: one entry, the group's.
        #expect(onDisk.count == 1)

        let third = Fixture(configuration: .init(stateFile: path), clock: clock)
        let thirdGroup = try third.partners()
        #expect(try thirdGroup.breaker(for: "anything").state == .forcedOpen)
        #expect(try object(third.showGroup("partners"))["override"] is [String: Any])
    }

    @Test("a group made without the operations' monitors refuses overrides with 409 group_not_monitored")
    func unmonitored() throws {
        let fixture = Fixture()
        let bare = try BreakerRegistry(clock: .manual(fixture.clock)).group(named: "bare")
        _ = try bare.breaker(for: "k")
        // Listed through a registry that has it; here, the fixture's registry does not, so: unknown.
        #expect(try errorCode(fixture.postGroupOverride("bare", forceOpen)) == "unknown_group")
        let registry = BreakerRegistry(clock: .manual(fixture.clock))
        let group = try registry.group(named: "bare")
        _ = try group.breaker(for: "k")
        let handlers = fixture.operations.handlers(for: registry)
        let response = handlers.applyGroupOverride(
            operationsRequest(
                method: .post,
                pathParameters: ["group": "bare"],
                body: Array(forceOpen.utf8),
                user: "alice"
            )
        )
        #expect(response.status == 409)
        #expect(try errorCode(response) == "group_not_monitored")
        #expect(try group.breaker(for: "k").state == .closed)
    }
}

@Suite("Groups in the state file")
struct GroupStateFileTests {
    private func parse(_ entry: String) throws -> OverrideStateFile.Loaded {
        try OverrideStateDocument.parse(
            Array(#"{"version": 1, "overrides": [\#(entry)]}"#.utf8),
            path: "test",
            now: manualClockOrigin,
            maximumTTL: .seconds(86_400)
        )
    }

    private let fields =
        #""action": "force_open", "reason": "r", "actor": "a", "applied_at": 1700000000, "expires_at": 1700001000"#

    @Test("a key entry and a group entry load as their targets")
    func targets() throws {
        let key = try parse(#"{"breaker": "partners", "key": "a\nb", \#(fields)}"#)
        #expect(key.overrides.keys.first == .key(group: "partners", key: "a\nb"))
        let group = try parse(#"{"breaker": "partners", "every_key": true, \#(fields)}"#)
        #expect(group.overrides.keys.first == .group("partners"))
    }

    @Test(
        "an entry naming a key wrongly is refused and the others load",
        arguments: [
            #""key": "", "#, #""key": 3, "#, #""every_key": false, "#, #""every_key": "yes", "#,
            #""key": "k", "every_key": true, "#,
        ]
    )
    func refused(extra: String) throws {
        let loaded = try parse(
            #"{"breaker": "partners", \#(extra)\#(fields)}, {"breaker": "payments", \#(fields)}"#
        )
        #expect(loaded.rejected.count == 1)
        #expect(Array(loaded.overrides.keys) == ["payments"])
    }

    @Test("a key, the group and a breaker of one name are three entries; the same key twice is refused")
    func uniqueness() throws {
        let three = try parse(
            #"{"breaker": "p", "key": "k", \#(fields)}, {"breaker": "p", "every_key": true, \#(fields)}, "#
                + #"{"breaker": "p", \#(fields)}"#
        )
        #expect(three.overrides.count == 3)
        #expect(three.rejected.isEmpty)
        let twice = try parse(#"{"breaker": "p", "key": "k", \#(fields)}, {"breaker": "p", "key": "k", \#(fields)}"#)
        #expect(twice.rejected.count == 1)
    }
}
