import CircuitBreaker
import Foundation

/// The body of `POST /api/v1/breakers/{name}/override`: `{"action": "force_open" | "disable" | "reset",
/// "reason": "…", "ttl": "30m"}`, all three required, no other key.
///
/// For `reset`, `ttl` is checked like the others (one request shape, refused the same way when wrong) but holds
/// nothing: a reset takes effect at once and leaves no override to expire or to save.
struct OverrideRequest: Sendable, Hashable {
    /// The longest reason accepted, in characters.
    static let maximumReasonLength = 500

    let action: BreakerOverride.Action
    let reason: String
    let ttl: Duration

    /// Parses and checks a request body.
    ///
    /// - Throws: ``OperationsError`` with ``OperationsError/Code/badJSON``, ``OperationsError/Code/unknownField``,
    ///   ``OperationsError/Code/missingField``, ``OperationsError/Code/invalidField``,
    ///   ``OperationsError/Code/unknownAction``, ``OperationsError/Code/badTTL`` or
    ///   ``OperationsError/Code/ttlTooLong``.
    init(body: [UInt8], maximumTTL: Duration) throws(OperationsError) {
        let object: [String: Any]
        do {
            guard let parsed = try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else {
                throw OperationsError(.badJSON, "the body must be a JSON object")
            }
            object = parsed
        } catch let error as OperationsError {
            throw error
        } catch {
            throw OperationsError(.badJSON, "the body is not valid JSON")
        }
        if let unknown = object.keys.sorted().first(where: { !["action", "reason", "ttl"].contains($0) }) {
            throw OperationsError(.unknownField, "unknown key \"\(unknown.prefix(40))\": expected action, reason, ttl")
        }
        let actionName = try Self.string(object, "action")
        guard let action = BreakerOverride.Action(rawValue: actionName) else {
            throw OperationsError(
                .unknownAction,
                "unknown action \"\(actionName.prefix(40))\": expected force_open, disable or reset"
            )
        }
        let reason = try Self.string(object, "reason")
        guard !reason.trimmingSpaces.isEmpty, reason.count <= Self.maximumReasonLength else {
            throw OperationsError(.invalidField, "reason must be 1 to \(Self.maximumReasonLength) characters")
        }
        // A line break would let a reason forge a line of the audit log.
        guard !reason.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw OperationsError(.invalidField, "reason must not contain control characters")
        }
        let ttlText = try Self.string(object, "ttl")
        let ttl = try TimeToLive.parse(ttlText)
        guard ttl > .zero else { throw OperationsError(.badTTL, "ttl must be longer than 0s") }
        guard ttl <= maximumTTL else {
            throw OperationsError(
                .ttlTooLong,
                "ttl \(ttlText) exceeds the maximum of \(TimeToLive.format(maximumTTL))"
            )
        }
        self.action = action
        self.reason = reason
        self.ttl = ttl
    }

    private static func string(_ object: [String: Any], _ key: String) throws(OperationsError) -> String {
        guard let value = object[key] else { throw OperationsError(.missingField, "\(key) is required") }
        guard let text = value as? String, !(value is NSNumber) else {
            throw OperationsError(.invalidField, "\(key) must be a string")
        }
        return text
    }

    /// The override this request asks for, applied by `actor` at `now` (wall-clock seconds): a reset ends at once.
    func override(by actor: String, at now: Double) -> BreakerOverride {
        BreakerOverride(
            action: action,
            reason: reason,
            actor: actor,
            appliedAt: now,
            expiresAt: action == .reset ? now : now + ttl.secondsValue
        )
    }
}
