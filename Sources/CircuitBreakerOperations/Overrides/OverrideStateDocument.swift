import CircuitBreaker
import Foundation

/// The JSON document of the state file (see ``OverrideStateFile``), read as untrusted input and written back.
///
/// Reading checks every field before any value is used:
/// - the document is an object with exactly `version` (the number 1) and `overrides` (an array of at most
///   ``maximumEntries`` objects); anything else is ``OperationsError/Code/stateFileCorrupt``;
/// - each entry has the keys `breaker`, `action`, `reason`, `actor`, `applied_at` and `expires_at`, and at most
///   one of `key` (a string of 1 to 65,536 bytes: the override of that key of the group `breaker`) and
///   `every_key` (`true`: the group-wide override of the group `breaker`), and no other; `breaker` is a non-empty
///   name of at most 4,096 bytes; each target (a breaker, a group's key, a group) is named once in the file;
///   `action` is `force_open` or `disable` (a reset is never saved); `reason` follows the API's rule (1 to 500 characters, not blank, no
///   control character: a line break would forge an audit line); `actor` has 1 to 256 bytes and no control
///   character; both times are finite numbers, `applied_at` not after `expires_at`, and `expires_at` no later than
///   the maximum TTL from now (a minute of slack for clock steps). A time such as 1e19 would otherwise reach the
///   page's clock formatting.
/// - An entry that fails is refused with its reason and the others load; an entry that has expired is dropped.
/// Breakers named in the file that the registry does not have (yet) stay pending until one is registered, and a
/// group's keys until the group creates them.
enum OverrideStateDocument {
    /// The version this code reads and writes.
    static let currentVersion = 1
    /// The most entries a file may hold (a registry holds far fewer breakers).
    static let maximumEntries = 100_000
    /// The keys of an entry.
    private static let entryKeys: Set<String> = [
        "breaker", "key", "every_key", "action", "reason", "actor", "applied_at", "expires_at",
    ]
    /// The longest key an entry may name, in UTF-8 bytes (a group's own limit is usually far lower).
    static let maximumKeyLength = 65_536

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
        var seen: Set<OverrideTarget> = []
        for (index, entry) in entries.enumerated() {
            switch validate(entry, latestExpiry: latestExpiry) {
            case .failure(let why):
                loaded.rejected.append("override #\(index + 1): \(why)")
            case .success(let (target, override)):
                guard seen.insert(target).inserted else {
                    loaded.rejected.append("override #\(index + 1): \(label(target)) is named twice")
                    continue
                }
                if override.expiresAt > now { loaded.overrides[target] = override }
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
    ) -> Result<(OverrideTarget, BreakerOverride), Refusal> {
        guard let object = entry.object else { return .failure(Refusal(description: "not an object")) }
        if let unknown = object.keys.sorted().first(where: { !entryKeys.contains($0) }) {
            return .failure(Refusal(description: "unknown key \"\(unknown.prefix(40))\""))
        }
        guard let name = object["breaker"]?.string, !name.isEmpty, name.utf8.count <= 4_096 else {
            return .failure(Refusal(description: "breaker must be a name of 1 to 4096 bytes"))
        }
        let target: OverrideTarget
        switch (object["key"], object["every_key"]) {
        case (nil, nil):
            target = .breaker(name)
        case (let key?, nil):
            guard let key = key.string, !key.isEmpty, key.utf8.count <= maximumKeyLength else {
                return .failure(Refusal(description: "key must be a string of 1 to \(maximumKeyLength) bytes"))
            }
            target = .key(group: name, key: key)
        case (nil, .bool(true)?):
            target = .group(name)
        case (nil, _?):
            return .failure(Refusal(description: "every_key must be true when present"))
        case (_?, _?):
            return .failure(Refusal(description: "an entry names a key or every_key, not both"))
        }
        let label = label(target)
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
        return .success((target, override))
    }

    /// `breaker "payments"`, `group "partners" key "a.example"`, `group "partners" (every key)`, cut for messages.
    private static func label(_ target: OverrideTarget) -> String {
        switch target {
        case .breaker(let name): "breaker \"\(name.prefix(80))\""
        case .group(let name): "group \"\(name.prefix(80))\" (every key)"
        case .key(let group, let key):
            "group \"\(group.prefix(80))\" key \(OverrideTarget.quoted(String(key.prefix(80))))"
        }
    }

    /// Whether `text` holds a control character (a line break among them).
    static func hasControlCharacter(_ text: String) -> Bool {
        text.unicodeScalars.contains { $0.properties.generalCategory == .control }
    }

    /// The file's bytes for `overrides`: pretty-printed JSON with sorted keys, entries sorted by breaker, times in
    /// the shortest decimals that read back exactly (`JSONEncoder`).
    ///
    /// - Throws: ``OperationsError/Code/stateFileNotWritten`` if Foundation cannot encode them.
    static func render(_ overrides: [OverrideTarget: BreakerOverride]) throws(OperationsError) -> [UInt8] {
        let entries = overrides.map { Entry(target: $0.key, $0.value) }.sorted { lhs, rhs in
            if lhs.breaker != rhs.breaker { return lhs.breaker < rhs.breaker }
            if (lhs.everyKey != nil) != (rhs.everyKey != nil) { return lhs.everyKey != nil }
            return (lhs.key ?? "").utf8.lexicographicallyPrecedes((rhs.key ?? "").utf8)
        }
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
        /// Omitted for a breaker's and a group's override (`encodeIfPresent`).
        let key: String?
        /// `true` for a group-wide override; omitted otherwise.
        let everyKey: Bool?
        let action: String
        let reason: String
        let actor: String
        let appliedAt: Double
        let expiresAt: Double

        init(target: OverrideTarget, _ override: BreakerOverride) {
            self.breaker = target.name
            switch target {
            case .breaker: (key, everyKey) = (nil, nil)
            case .key(_, let key): (self.key, everyKey) = (key, nil)
            case .group: (key, everyKey) = (nil, true)
            }
            self.action = override.action.rawValue
            self.reason = override.reason
            self.actor = override.actor
            self.appliedAt = override.appliedAt
            self.expiresAt = override.expiresAt
        }

        private enum CodingKeys: String, CodingKey {
            case breaker, key, action, reason, actor
            case everyKey = "every_key"
            case appliedAt = "applied_at"
            case expiresAt = "expires_at"
        }
    }
}
