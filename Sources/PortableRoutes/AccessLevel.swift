/// Who may use a route.
///
/// - ``public``: anyone; no credentials are asked for.
/// - ``scrape``: the users of the web configuration's `basic_auth_users`, and the admin users. When no
///   `basic_auth_users` are configured, scrape routes are public, as in Prometheus' exporter-toolkit.
/// - ``admin``: the users of the web configuration's `admin_users` only. With no admin users configured, admin
///   routes refuse everyone (401), so configuring none never opens them.
///
/// Missing or wrong credentials get 401 with a `WWW-Authenticate` challenge; a valid scrape user on an admin route
/// gets 403. Levels are ordered: an admin may do what a scrape user may.
///
/// A struct over a private enum, so that a level can be added without breaking anyone's `switch`.
public struct AccessLevel: Hashable, Sendable, Comparable, CustomStringConvertible {
    private enum Level: Int, Sendable {
        case open = 0
        case scrape = 1
        case admin = 2
    }

    private let level: Level

    private init(_ level: Level) {
        self.level = level
    }

    /// Anyone, without credentials.
    public static let `public` = AccessLevel(.open)
    /// Scrape users (`basic_auth_users`) and admin users; public when no scrape users are configured.
    public static let scrape = AccessLevel(.scrape)
    /// Admin users (`admin_users`) only.
    public static let admin = AccessLevel(.admin)

    /// Orders levels: public < scrape < admin.
    public static func < (lhs: AccessLevel, rhs: AccessLevel) -> Bool {
        lhs.level.rawValue < rhs.level.rawValue
    }

    /// `public`, `scrape` or `admin`.
    public var description: String {
        switch self.level {
        case .open: "public"
        case .scrape: "scrape"
        case .admin: "admin"
        }
    }
}

/// The user a request authenticated as.
public struct AuthenticatedUser: Hashable, Sendable {
    /// The user name from the `Authorization` header.
    public let name: String
    /// The highest level the user holds: ``AccessLevel/admin`` for admin users, ``AccessLevel/scrape`` otherwise.
    public let level: AccessLevel

    /// A user (the server creates these; tests may too).
    public init(name: String, level: AccessLevel) {
        self.name = name
        self.level = level
    }
}
