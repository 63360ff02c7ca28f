/// Which breaker an entry of the operations module's bookkeeping (transition history, call counts, events) is
/// about: a breaker of the registry, one key of a group, or a group's overflow breaker. A group's breakers all
/// carry the group's name, so the name alone cannot tell them apart.
struct BreakerIdentity: Hashable, Sendable {
    /// What kind of breaker it is.
    enum Scope: Hashable, Sendable {
        /// A breaker of its own (a registry's).
        case breaker
        /// The breaker of one key of the group called ``BreakerIdentity/name``.
        case key(String)
        /// The overflow breaker of the group called ``BreakerIdentity/name``.
        case overflow
    }

    /// The breaker's name; the group's, for a group's breakers.
    let name: String
    let scope: Scope

    /// The breaker called `name`.
    static func breaker(_ name: String) -> BreakerIdentity {
        BreakerIdentity(name: name, scope: .breaker)
    }

    /// The key `key` of the group called `group`.
    static func key(_ key: String, of group: String) -> BreakerIdentity {
        BreakerIdentity(name: group, scope: .key(key))
    }

    /// Whether it belongs to a group (a key or the overflow breaker).
    var inGroup: Bool {
        scope != .breaker
    }

    /// The key, for a key's breaker.
    var key: String? {
        if case .key(let key) = scope { key } else { nil }
    }
}

/// Marks the thread that applies or clears a group-wide override on every key: the keys' own events (each key's
/// transition and override) are recorded in their history but not published one by one; the override controller
/// publishes one event for the group instead, so that a group of 10,000 keys does not flood the event stream and
/// drop its readers.
enum GroupBulkAction {
    /// The name of the group whose keys the current thread is acting on, if any.
    @TaskLocal static var group: String?
}
