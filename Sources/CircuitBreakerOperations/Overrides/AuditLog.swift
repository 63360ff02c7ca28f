import CircuitBreaker
import Foundation
import Logging

/// The audit trail of operators' actions: one swift-log line per action, at `notice`, saying who did what to which
/// breaker, why, and until when, for example
/// `override applied: alice force_open payments until 2023-11-14T22:43:20Z (ttl 30m): provider incident`,
/// with the same facts as metadata (`audit`, `breaker`, `action`, `actor`, `reason`, `expires_at`, `ttl`) for log
/// pipelines. An override of a group's key names the key quoted and escaped (`partners key "a.example"`; keys come
/// from callers and may hold line breaks) and adds `key` and `scope: key` to the metadata; a group-wide one says
/// `partners (every key)` and adds `scope: group`.
enum AuditLog {
    /// Logs an override applied through the API.
    static func applied(_ override: BreakerOverride, to target: OverrideTarget, ttl: Duration, logger: Logger) {
        var metadata = metadata(target, override)
        let breaker = target.description
        metadata["ttl"] = "\(TimeToLive.format(ttl))"
        let until = override.action == .reset ? "now (a reset holds nothing)" : time(override.expiresAt)
        logger.notice(
            "override applied: \(override.actor) \(override.action) \(breaker) until \(until) (ttl \(TimeToLive.format(ttl))): \(override.reason)",
            metadata: metadata
        )
    }

    /// Logs an override cleared through the API (`ended` is the override that was in force, if any).
    static func cleared(_ ended: BreakerOverride?, on target: OverrideTarget, by actor: String, logger: Logger) {
        var metadata = scope(of: target)
        metadata["audit"] = "override_cleared"
        metadata["actor"] = "\(actor)"
        let breaker = target.description
        guard let ended else {
            logger.notice("override cleared: \(actor) cleared \(breaker), which had no override", metadata: metadata)
            return
        }
        metadata["action"] = "\(ended.action)"
        metadata["cleared_override_actor"] = "\(ended.actor)"
        logger.notice(
            "override cleared: \(actor) ended \(ended.action) on \(breaker) by \(ended.actor), due until \(time(ended.expiresAt))",
            metadata: metadata
        )
    }

    /// The metadata of an override's line.
    static func metadata(breaker: String, _ override: BreakerOverride) -> Logger.Metadata {
        metadata(.breaker(breaker), override)
    }

    /// The metadata of an override's line, for any target.
    static func metadata(_ target: OverrideTarget, _ override: BreakerOverride) -> Logger.Metadata {
        var metadata = scope(of: target)
        metadata["audit"] = "override_applied"
        metadata["action"] = "\(override.action)"
        metadata["actor"] = "\(override.actor)"
        metadata["reason"] = "\(override.reason)"
        metadata["expires_at"] = "\(time(override.expiresAt))"
        return metadata
    }

    /// `breaker`, and for a group's key or the whole group, `scope` and `key`.
    private static func scope(of target: OverrideTarget) -> Logger.Metadata {
        switch target {
        case .breaker(let name): ["breaker": "\(name)"]
        case .group(let name): ["breaker": "\(name)", "scope": "group"]
        case .key(let group, let key): ["breaker": "\(group)", "scope": "key", "key": "\(key)"]
        }
    }

    /// Unix seconds as an ISO 8601 UTC time, to the second.
    static func time(_ unixSeconds: Double) -> String {
        // Years 0 to 9999 only: a time from the state file is validated, but the audit line never trusts it.
        guard unixSeconds.isFinite, (-62_135_596_800...253_402_300_799).contains(unixSeconds) else {
            return "(invalid time)"
        }
        return Date(timeIntervalSince1970: unixSeconds.rounded(.down)).formatted(.iso8601)
    }
}
