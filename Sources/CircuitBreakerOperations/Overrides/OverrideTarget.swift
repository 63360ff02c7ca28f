/// What an override is held on, and saved under in the state file: a breaker of the registry, one key of a
/// ``/CircuitBreaker/BreakerGroup``, or every key of a group (the group-wide override, which keys created later
/// inherit while it lasts).
enum OverrideTarget: Hashable, Sendable, ExpressibleByStringLiteral, CustomStringConvertible {
    /// The breaker called `name`.
    case breaker(String)
    /// The key `key` of the group called `group`.
    case key(group: String, key: String)
    /// Every key of the group called `group` (and its overflow breaker).
    case group(String)

    /// A breaker's name, as tests write it.
    init(stringLiteral name: String) {
        self = .breaker(name)
    }

    /// The breaker's or the group's name.
    var name: String {
        switch self {
        case .breaker(let name), .group(let name), .key(group: let name, key: _): name
        }
    }

    /// For messages and audit lines, with the caller-supplied key quoted and escaped (a key may hold a line break
    /// or a quote; it must not forge a log line): `payments`, `partners key "a\nb"`, `partners (every key)`.
    var description: String {
        switch self {
        case .breaker(let name): name
        case .group(let name): "\(name) (every key)"
        case .key(let group, let key): "\(group) key \(Self.quoted(key))"
        }
    }

    /// `key` quoted, its quotes, backslashes and control characters escaped, cut to 200 characters.
    static func quoted(_ key: String) -> String {
        let shown = key.count > 200 ? String(key.prefix(200)) + "…" : key
        return shown.debugDescription
    }
}
