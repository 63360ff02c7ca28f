import CircuitBreaker
import CircuitBreakerInternals
import Foundation
import PortableRoutes
import Testing

@testable import CircuitBreakerOperations

@Suite("Overrides survive a restart through the state file")
struct OverrideKeeperTests {
    @Test("an override is saved before the API answers, and restored (restored: true) after a restart")
    func restoredAfterRestart() throws {
        let directory = try temporaryDirectory()
        let path = directory + "/overrides.json"
        let clock = ManualClock()
        let before = Fixture(configuration: .init(stateFile: path), clock: clock)
        _ = try before.breaker("payments")
        #expect(before.postOverride("payments", #"{"action":"force_open","reason":"incident","ttl":"30m"}"#).status == 200)
        let saved = try String(contentsOfFile: path, encoding: .utf8)
        #expect(saved.contains("\"force_open\""))
        #expect(saved.contains("\"incident\""))

        // A new process: new operations, new registry, same file. (The integration test does the same with
        // `kill -9` of the demo.)
        clock.advance(by: .seconds(60))
        let after = Fixture(configuration: .init(stateFile: path), clock: clock)
        let payments = try after.breaker("payments")
        #expect(payments.state == .forcedOpen)
        #expect(payments.activeOverride?.actor == "alice")
        #expect(payments.activeOverride?.expiresAt == 1_700_001_800.0)
        let restoredLines = after.log.all.filter { $0.message.hasPrefix("override restored") }
        #expect(restoredLines.count == 1)
        clock.advance(by: .seconds(1_740))
        #expect(payments.state == .closed)
    }

    @Test("a breaker registered long after start still gets its saved override")
    func breakerCreatedLater() throws {
        let path = try temporaryDirectory() + "/overrides.json"
        let clock = ManualClock()
        let before = Fixture(configuration: .init(stateFile: path), clock: clock)
        _ = try before.breaker("reports")
        _ = before.postOverride("reports", #"{"action":"disable","reason":"batch","ttl":"2h"}"#)

        let after = Fixture(configuration: .init(stateFile: path), clock: clock)
        _ = try after.breaker("payments")
        // A write before "reports" exists must keep its pending override.
        _ = after.postOverride("payments", #"{"action":"force_open","reason":"x","ttl":"1h"}"#)
        #expect(after.operations.keeper.pendingOverrides["reports"] != nil)
        clock.advance(by: .seconds(600))
        let reports = try after.breaker("reports")
        #expect(reports.state == .disabled)
        #expect(after.operations.keeper.pendingOverrides.isEmpty)

        let third = Fixture(configuration: .init(stateFile: path), clock: clock)
        #expect(Set(third.operations.keeper.pendingOverrides.keys) == ["payments", "reports"])
    }

    @Test("an expired or cleared override is not restored")
    func expiredNotRestored() throws {
        let path = try temporaryDirectory() + "/overrides.json"
        let clock = ManualClock()
        let before = Fixture(configuration: .init(stateFile: path), clock: clock)
        _ = try before.breaker("a")
        _ = try before.breaker("b")
        _ = before.postOverride("a", #"{"action":"force_open","reason":"x","ttl":"5m"}"#)
        _ = before.postOverride("b", #"{"action":"force_open","reason":"x","ttl":"5m"}"#)
        _ = before.handlers.clearOverride(operationsRequest(method: .delete, pathParameters: ["name": "b"]))
        clock.advance(by: .seconds(301))
        let after = Fixture(configuration: .init(stateFile: path), clock: clock)
        #expect(try after.breaker("a").state == .closed)
        #expect(try after.breaker("b").state == .closed)
    }

    @Test("an override that ends outside the API is removed from the file by the background writer")
    func endedOutsideTheAPI() async throws {
        let path = try temporaryDirectory() + "/overrides.json"
        let fixture = Fixture(configuration: .init(stateFile: path))
        let payments = try fixture.breaker("payments")
        _ = fixture.postOverride("payments", #"{"action":"force_open","reason":"x","ttl":"5m"}"#)
        payments.reset()
        // Bounded wait for the background write: the loop only bounds a hang, the assertion is on the content.
        var content = ""
        for _ in 0..<500 {
            content = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
            if !content.contains("force_open") { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(content.contains("\"overrides\""))
        #expect(!content.contains("force_open"))
    }

    @Test("a corrupt file is logged as a typed error and moved aside; the service starts without overrides")
    func corruptFile() throws {
        let directory = try temporaryDirectory()
        let path = directory + "/overrides.json"
        try "{\"version\": 1, \"overrides\": [{\"breaker\": 3".write(toFile: path, atomically: true, encoding: .utf8)
        let fixture = Fixture(configuration: .init(stateFile: path))
        #expect(fixture.operations.stateFileError?.code == .stateFileCorrupt)
        let line = try #require(fixture.log.all.first { $0.level == .error })
        #expect(line.metadata["code"] == "state_file_corrupt")
        let files = try FileManager.default.contentsOfDirectory(atPath: directory)
        #expect(files.contains { $0.hasPrefix("overrides.json.corrupt-") })
        #expect(!files.contains("overrides.json"))
        // It works as usual, and the next save writes a good file.
        _ = try fixture.breaker("payments")
        #expect(fixture.postOverride("payments", #"{"action":"disable","reason":"x","ttl":"5m"}"#).status == 200)
        #expect(try OverrideStateFile(path: path).loadForTest()["payments"]?.action == .disable)
    }

    @Test("a file of another version, of another shape or not JSON is corrupt; a missing file is no error")
    func otherContents() throws {
        let directory = try temporaryDirectory()
        let file = OverrideStateFile(path: directory + "/state.json")
        #expect(try file.loadForTest().isEmpty)
        for text in [
            #"{"version": 2, "overrides": []}"#,
            #"{"version": "1", "overrides": []}"#,
            #"{"version": 1, "overrides": {}}"#,
            #"{"version": 1, "overrides": [], "extra": 1}"#,
            #"[1, 2]"#,
            "\u{0}\u{1}binary",
        ] {
            try text.write(toFile: file.path, atomically: true, encoding: .utf8)
            #expect(throws: OperationsError(.stateFileCorrupt, "")) { try file.loadForTest() }
        }
    }

    @Test("an unreadable file is a typed error, and a failed write answers 500 not_persisted with the override in force")
    func unreadableAndUnwritable() throws {
        let directory = try temporaryDirectory()
        // A directory where the file should be: reading it fails, whoever runs the test (root included).
        let path = directory + "/state.json"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        #expect(throws: OperationsError(.stateFileUnreadable, "")) { try OverrideStateFile(path: path).loadForTest() }
        // A file in a directory that does not exist: nothing to load, and no temporary file can be created.
        let blocked = directory + "/missing/state.json"
        let fixture = Fixture(configuration: .init(stateFile: blocked))
        let payments = try fixture.breaker("payments")
        let response = fixture.postOverride("payments", #"{"action":"force_open","reason":"x","ttl":"5m"}"#)
        #expect(response.status == 500)
        #expect(try errorCode(response) == "not_persisted")
        #expect(payments.state == .forcedOpen)
    }
}
