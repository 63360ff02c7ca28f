import CircuitBreaker
import Foundation

/// The JSON document of the state file (see ``OverrideStateFile``), read as untrusted input and written back.
///
/// Reading checks every field before any value is used:
/// - the document is an object with exactly `version` (the number 1) and `overrides` (an array of at most
///   ``maximumEntries`` objects); anything else is ``OperationsError/Code/stateFileCorrupt``;
/// - each entry has exactly the keys `breaker`, `action`, `reason`, `actor`, `applied_at` and `expires_at`;
///   `breaker` is a non-empty name of at most 4,096 bytes, named once in the file; `action` is `force_open` or
///   `disable` (a reset is never saved); `reason` follows the API's rule (1 to 500 characters, not blank, no
///   control character: a line break would forge an audit line); `actor` has 1 to 256 bytes and no control
///   character; both times are finite numbers, `applied_at` not after `expires_at`, and `expires_at` no later than
///   the maximum TTL from now (a minute of slack for clock steps). A time such as 1e19 would otherwise reach the
///   page's clock formatting.
/// - An entry that fails is refused with its reason and the others load; an entry that has expired is dropped.
/// Breakers named in the file that the registry does not have (yet) stay pending until one is registered.
enum OverrideStateDocument {
    /// The version this code reads and writes.
    static let currentVersion = 1
    /// The most entries a file may hold (a registry holds far fewer breakers).
    static let maximumEntries = 100_000
    /// The keys of an entry.
    private static let entryKeys: Set<String> = ["breaker", "action", "reason", "actor", "applied_at", "expires_at"]

    /// Parses and validates the bytes of a state file read from `path` (named in messages only).
    ///
    /// - Throws: ``OperationsError/Code/stateFileCorrupt`` when the document as a whole is not a state file.
    static func parse(
        _ bytes: [UInt8],
        path: String,
        now: Double,
        maximumTTL: Duration
    ) throws(OperationsError) -> OverrideStateFile.Loaded {
        func corrupt(_ why: String) -> OperationsError {
            OperationsError(.stateFileCorrupt, "\(path) is not an override state file: \(why)")
        }
        guard let root = JSONValue.parse(bytes) else { throw corrupt("not valid JSON") }
        guard let document = root.object else { throw corrupt("not a JSON object") }
        if let unknown = document.keys.sorted().first(where: { $0 != "version" && $0 != "overrides" }) {
            throw corrupt("unknown key \"\(unknown.prefix(40))\"")
        }
        guard document["version"]?.number == Double(currentVersion) else {
            throw corrupt("version must be \(currentVersion)")
        }
        guard let entries = document["overrides"]?.array else { throw corrupt("overrides must be an array") }
        guard entries.count <= maximumEntries else { throw corrupt("more than \(maximumEntries) overrides") }
        let latestExpiry = now + maximumTTL.secondsValue + 60
        var loaded = OverrideStateFile.Loaded()
        var seen: Set<String> = []
        for (index, entry) in entries.enumerated() {
            switch validate(entry, latestExpiry: latestExpiry) {
            case .failure(let why):
                loaded.rejected.append("override #\(index + 1): \(why)")
            case .success(let (name, override)):
                guard seen.insert(name).inserted else {
                    loaded.rejected.append("override #\(index + 1): breaker \"\(name.prefix(80))\" is named twice")
                    continue
                }
                if override.expiresAt > now { loaded.overrides[name] = override }
            }
        }
        return loaded
    }

    /// A refused entry's reason.
    struct Refusal: Error, CustomStringConvertible {
        let description: String
    }

    /// One entry, checked field by field.
    private static func validate(
        _ entry: JSONValue,
        latestExpiry: Double
    ) -> Result<(String, BreakerOverride), Refusal> {
        guard let object = entry.object else { return .failure(Refusal(description: "not an object")) }
        if let unknown = object.keys.sorted().first(where: { !entryKeys.contains($0) }) {
            return .failure(Refusal(description: "unknown key \"\(unknown.prefix(40))\""))
        }
        guard let name = object["breaker"]?.string, !name.isEmpty, name.utf8.count <= 4_096 else {
            return .failure(Refusal(description: "breaker must be a name of 1 to 4096 bytes"))
        }
        let label = "breaker \"\(name.prefix(80))\""
        guard let actionName = object["action"]?.string,
            let action = BreakerOverride.Action(rawValue: actionName), action != .reset
        else {
            return .failure(Refusal(description: "\(label): action must be force_open or disable"))
        }
        guard let reason = object["reason"]?.string, !reason.trimmingSpaces.isEmpty,
            reason.count <= OverrideRequest.maximumReasonLength, !hasControlCharacter(reason)
        else {
            return .failure(Refusal(description: "\(label): reason must be 1 to 500 characters, no control character"))
        }
        guard let actor = object["actor"]?.string, !actor.isEmpty, actor.utf8.count <= 256,
            !hasControlCharacter(actor)
        else {
            return .failure(Refusal(description: "\(label): actor must be 1 to 256 bytes, no control character"))
        }
        guard let appliedAt = object["applied_at"]?.number, let expiresAt = object["expires_at"]?.number,
            appliedAt.isFinite, expiresAt.isFinite
        else {
            return .failure(Refusal(description: "\(label): applied_at and expires_at must be numbers"))
        }
        guard appliedAt <= expiresAt else {
            return .failure(Refusal(description: "\(label): expires_at is before applied_at"))
        }
        guard expiresAt <= latestExpiry else {
            return .failure(Refusal(description: "\(label): expires_at is further ahead than the maximum TTL"))
        }
        let override = BreakerOverride(
            action: action,
            reason: reason,
            actor: actor,
            appliedAt: appliedAt,
            expiresAt: expiresAt
        )
        return .success((name, override))
    }

    /// Whether `text` holds a control character (a line break among them).
    static func hasControlCharacter(_ text: String) -> Bool {
        text.unicodeScalars.contains { $0.properties.generalCategory == .control }
    }

    /// The file's bytes for `overrides`: pretty-printed JSON with sorted keys, entries sorted by breaker, times in
    /// the shortest decimals that read back exactly (`JSONEncoder`).
    ///
    /// - Throws: ``OperationsError/Code/stateFileNotWritten`` if Foundation cannot encode them.
    static func render(_ overrides: [String: BreakerOverride]) throws(OperationsError) -> [UInt8] {
        let entries = overrides.keys.sorted().compactMap { name in overrides[name].map { Entry(breaker: name, $0) } }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        do {
            return Array(try encoder.encode(Document(version: currentVersion, overrides: entries)))
        } catch {
            throw OperationsError(.stateFileNotWritten, "cannot encode the overrides: \(error)")
        }
    }

    private struct Document: Encodable {
        let version: Int
        let overrides: [Entry]
    }

    private struct Entry: Encodable {
        let breaker: String
        let action: String
        let reason: String
        let actor: String
        let appliedAt: Double
        let expiresAt: Double

        init(breaker: String, _ override: BreakerOverride) {
            self.breaker = breaker
            self.action = override.action.rawValue
            self.reason = override.reason
            self.actor = override.actor
            self.appliedAt = override.appliedAt
            self.expiresAt = override.expiresAt
        }

        private enum CodingKeys: String, CodingKey {
            case breaker, action, reason, actor
            case appliedAt = "applied_at"
            case expiresAt = "expires_at"
        }
    }
}
