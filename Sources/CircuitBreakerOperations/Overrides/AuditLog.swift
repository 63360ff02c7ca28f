import CircuitBreaker
import Foundation
import Logging

/// The audit trail of operators' actions: one swift-log line per action, at `notice`, saying who did what to which
/// breaker, why, and until when, for example
/// `override applied: alice force_open payments until 2023-11-14T22:43:20Z (ttl 30m): provider incident`,
/// with the same facts as metadata (`audit`, `breaker`, `action`, `actor`, `reason`, `expires_at`, `ttl`) for log
/// pipelines.
enum AuditLog {
    /// Logs an override applied through the API.
    static func applied(_ override: BreakerOverride, to breaker: String, ttl: Duration, logger: Logger) {
        var metadata = metadata(breaker: breaker, override)
        metadata["ttl"] = "\(TimeToLive.format(ttl))"
        let until = override.action == .reset ? "now (a reset holds nothing)" : time(override.expiresAt)
        logger.notice(
            "override applied: \(override.actor) \(override.action) \(breaker) until \(until) (ttl \(TimeToLive.format(ttl))): \(override.reason)",
            metadata: metadata
        )
    }

    /// Logs an override cleared through the API (`ended` is the override that was in force, if any).
    static func cleared(_ ended: BreakerOverride?, on breaker: String, by actor: String, logger: Logger) {
        var metadata: Logger.Metadata = ["audit": "override_cleared", "breaker": "\(breaker)", "actor": "\(actor)"]
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
        [
            "audit": "override_applied",
            "breaker": "\(breaker)",
            "action": "\(override.action)",
            "actor": "\(override.actor)",
            "reason": "\(override.reason)",
            "expires_at": "\(time(override.expiresAt))",
        ]
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
