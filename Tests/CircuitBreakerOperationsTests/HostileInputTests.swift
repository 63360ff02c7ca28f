import CircuitBreaker
import Foundation
import PortableRoutes
import Testing

@testable import CircuitBreakerOperations

#if canImport(Glibc)
import Glibc
#endif

@Suite("No input traps: TTLs, state files and the page's clock")
struct HostileInputTests {
    @Test("a TTL that would overflow Int64 nanoseconds is a bad_ttl, not a trap", arguments: [
        "999999d", "999999d23h", "10000d1s", "10001d", "999999h999999m", "106752d", "1d999999h",
    ])
    func overflowingTTL(text: String) {
        #expect(throws: OperationsError(.badTTL, "")) { try TimeToLive.parse(text) }
    }

    @Test("the largest TTLs parse exactly")
    func largestTTL() throws {
        #expect(try TimeToLive.parse("10000d") == .seconds(864_000_000))
        #expect(try TimeToLive.parse("9999d23h59m59s999ms") == .nanoseconds(TimeToLive.maximumNanoseconds - 1_000_000))
    }

    @Test("the override API answers 400 bad_ttl to the TTL that used to kill the process")
    func overrideWithHugeTTL() throws {
        let fixture = Fixture()
        let payments = try fixture.breaker("payments")
        let response = fixture.postOverride("payments", #"{"action":"force_open","reason":"x","ttl":"999999d"}"#)
        #expect(response.status == 400)
        #expect(try errorCode(response) == "bad_ttl")
        #expect(payments.state == .closed)
    }

    @Test("the page's clock and durations never trap", arguments: [1e19, -1e19, .nan, .infinity, -.infinity, 9.3e18])
    func clockFormatting(value: Double) {
        #expect(StatusRow.clock(value) == "--:--:--Z")
        #expect(StatusRow.duration(value) == (value == -.infinity || value == -1e19 ? "0 s" : "–"))
        #expect(AuditLog.time(value) == "(invalid time)")
    }

    @Test("the clock of a time before 1970 is still a time of day")
    func clockBeforeEpoch() {
        #expect(StatusRow.clock(-1) == "23:59:59Z")
        #expect(StatusRow.clock(1_700_000_000) == "22:13:20Z")
    }

    /// A state file with one valid entry and the given invalid one.
    private func stateFile(with invalid: String) -> String {
        """
        {"version": 1, "overrides": [
          {"breaker": "catalog", "action": "disable", "reason": "ok", "actor": "alice", "applied_at": 1700000000,
           "expires_at": 1700003600},
          \(invalid)
        ]}
        """
    }

    @Test("an invalid entry is refused with its reason; the valid ones load", arguments: [
        (#"{"breaker": "payments", "action": "force_open", "reason": "x", "actor": "a", "applied_at": 1700000000, "expires_at": 1e19}"#, "maximum TTL"),
        (#"{"breaker": "payments", "action": "melt", "reason": "x", "actor": "a", "applied_at": 0, "expires_at": 1700000100}"#, "action"),
        (#"{"breaker": "payments", "action": "reset", "reason": "x", "actor": "a", "applied_at": 0, "expires_at": 1700000100}"#, "action"),
        (#"{"breaker": "payments", "action": "disable", "reason": "x\nforged line", "actor": "a", "applied_at": 0, "expires_at": 1700000100}"#, "reason"),
        (#"{"breaker": "payments", "action": "disable", "reason": "x", "actor": "", "applied_at": 0, "expires_at": 1700000100}"#, "actor"),
        (#"{"breaker": "payments", "action": "disable", "reason": "x", "actor": "a", "applied_at": "0", "expires_at": 1700000100}"#, "numbers"),
        (#"{"breaker": "payments", "action": "disable", "reason": "x", "actor": "a", "applied_at": 1700000200, "expires_at": 1700000100}"#, "before"),
        (#"{"breaker": "payments", "action": "disable", "reason": "x", "actor": "a", "applied_at": 0, "expires_at": 1700000100, "admin": true}"#, "unknown key"),
        (#"{"breaker": "", "action": "disable", "reason": "x", "actor": "a", "applied_at": 0, "expires_at": 1700000100}"#, "breaker"),
        (#"{"breaker": "catalog", "action": "disable", "reason": "x", "actor": "a", "applied_at": 0, "expires_at": 1700000100}"#, "twice"),
        (#""a string""#, "not an object"),
    ])
    func invalidEntry(entry: String, reason: String) throws {
        let directory = try temporaryDirectory()
        let path = directory + "/overrides.json"
        try stateFile(with: entry).write(toFile: path, atomically: true, encoding: .utf8)
        let loaded = try OverrideStateFile(path: path).load(now: manualClockOrigin, maximumTTL: .seconds(86_400))
        #expect(Array(loaded.overrides.keys) == ["catalog"])
        #expect(loaded.rejected.count == 1)
        #expect(loaded.rejected.first?.contains(reason) == true, "\(loaded.rejected)")
    }

    @Test("a file with an expiry of 1e19 loads its valid entries, is moved aside, and the page renders")
    func hugeExpiryEndToEnd() throws {
        let directory = try temporaryDirectory()
        let path = directory + "/overrides.json"
        let invalid = #"{"breaker": "payments", "action": "force_open", "reason": "x", "actor": "a", "applied_at": 1700000000, "expires_at": 1e19}"#
        try stateFile(with: invalid).write(toFile: path, atomically: true, encoding: .utf8)
        let fixture = Fixture(configuration: .init(stateFile: path))
        #expect(fixture.operations.stateFileError?.code == .stateFileCorrupt)
        let payments = try fixture.breaker("payments")
        let catalog = try fixture.breaker("catalog")
        #expect(payments.state == .closed)
        #expect(catalog.state == .disabled)
        let html = String(decoding: fixture.operations.statusPage(for: fixture.registry), as: UTF8.self)
        #expect(html.contains("disable by alice until 23:13:20Z: ok"))
        let files = try FileManager.default.contentsOfDirectory(atPath: directory)
        let aside = try #require(files.first { $0.hasPrefix("overrides.json.corrupt-") })
        // What was set aside is the original, byte for byte.
        #expect(try String(contentsOfFile: directory + "/" + aside, encoding: .utf8).contains("1e19"))
    }

    @Test("a state file that is a symbolic link is refused with a typed error, left alone, and never written through")
    func symbolicLink() throws {
        let directory = try temporaryDirectory()
        let target = directory + "/elsewhere.txt"
        try "precious\n".write(toFile: target, atomically: true, encoding: .utf8)
        let path = directory + "/overrides.json"
        try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: target)
        let fixture = Fixture(configuration: .init(stateFile: path))
        #expect(fixture.operations.stateFileError?.code == .stateFileUnsafe)
        let line = try #require(fixture.log.all.first { $0.level == .error })
        #expect(line.metadata["code"] == "state_file_unsafe")
        let payments = try fixture.breaker("payments")
        let response = fixture.postOverride("payments", #"{"action":"force_open","reason":"x","ttl":"5m"}"#)
        #expect(response.status == 500)
        #expect(try errorCode(response) == "not_persisted")
        #expect(payments.state == .forcedOpen)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: path) == target)
        #expect(try String(contentsOfFile: target, encoding: .utf8) == "precious\n")
    }

    @Test("a state file owned by another user is refused", .enabled(if: geteuid() == 0, "needs root to chown"))
    func otherOwner() throws {
        let directory = try temporaryDirectory()
        let path = directory + "/overrides.json"
        try #"{"version": 1, "overrides": []}"#.write(toFile: path, atomically: true, encoding: .utf8)
        #expect(chown(path, 65_534, 65_534) == 0)
        #expect(throws: OperationsError(.stateFileUnsafe, "")) { try OverrideStateFile(path: path).loadForTest() }
        let fixture = Fixture(configuration: .init(stateFile: path))
        #expect(fixture.operations.stateFileError?.code == .stateFileUnsafe)
        #expect(FileManager.default.fileExists(atPath: path))
    }

    @Test("an unreadable state file is left in place, not moved aside, and not written over")
    func unreadableLeftInPlace() throws {
        let directory = try temporaryDirectory()
        // A directory where the file should be: reading it fails (EISDIR), whoever runs the test.
        let path = directory + "/overrides.json"
        try FileManager.default.createDirectory(atPath: path + "/keep", withIntermediateDirectories: true)
        let fixture = Fixture(configuration: .init(stateFile: path))
        #expect(fixture.operations.stateFileError?.code == .stateFileUnreadable)
        _ = try fixture.breaker("payments")
        #expect(fixture.postOverride("payments", #"{"action":"disable","reason":"x","ttl":"5m"}"#).status == 500)
        let files = try FileManager.default.contentsOfDirectory(atPath: directory)
        #expect(files == ["overrides.json"])
        #expect(FileManager.default.fileExists(atPath: path + "/keep"))
    }

    @Test("the saved file is a regular file of mode 0600, and no temporary file is left behind")
    func savedFileMode() throws {
        let directory = try temporaryDirectory()
        let path = directory + "/overrides.json"
        let fixture = Fixture(configuration: .init(stateFile: path))
        _ = try fixture.breaker("payments")
        #expect(fixture.postOverride("payments", #"{"action":"disable","reason":"x","ttl":"5m"}"#).status == 200)
        var status = stat()
        #expect(lstat(path, &status) == 0)
        #expect(status.st_mode & S_IFMT == S_IFREG)
        #expect(status.st_mode & 0o777 == 0o600)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["overrides.json"])
    }
}

@Suite("DELETE of an override takes no body or an empty object")
struct ClearBodyTests {
    @Test("no body or {} clears; a field or another body is refused, and the override stays", arguments: [
        ("", 200, nil), ("{}", 200, nil), (" { } ", 200, nil), (#"{"action":"x"}"#, 400, "unknown_field"),
        ("[]", 400, "bad_json"), ("x", 400, "bad_json"),
    ])
    func bodies(body: String, status: Int, code: String?) throws {
        let fixture = Fixture()
        let payments = try fixture.breaker("payments")
        _ = fixture.postOverride("payments", #"{"action":"force_open","reason":"x","ttl":"5m"}"#)
        let response = fixture.handlers.clearOverride(
            operationsRequest(method: .delete, pathParameters: ["name": "payments"], body: Array(body.utf8))
        )
        #expect(response.status.code == status)
        #expect(try errorCode(response) == code)
        #expect(payments.state == (status == 200 ? .closed : .forcedOpen))
    }
}

@Suite("The state file keeps times exactly")
struct StateFileRoundTripTests {
    @Test("times survive a save and a load to the last bit", arguments: [1_796_640_756.2192287, 1_700_000_000.1, 0.1])
    func exactTimes(expiry: Double) throws {
        let path = try temporaryDirectory() + "/overrides.json"
        let file = OverrideStateFile(path: path)
        let override = BreakerOverride(
            action: .forceOpen,
            reason: "x",
            actor: "alice",
            appliedAt: expiry - 60,
            expiresAt: expiry
        )
        try file.save(["payments": override])
        let loaded = try file.load(now: expiry - 120, maximumTTL: .seconds(86_400))
        #expect(loaded.overrides["payments"]?.expiresAt == expiry)
        #expect(loaded.overrides["payments"]?.appliedAt == expiry - 60)
        #expect(loaded.rejected.isEmpty)
    }
}
