extension MetricsServerConfiguration {
    /// HTTP basic authentication against bcrypt hashes, as in Prometheus' web configuration file: scrape users
    /// (`basic_auth_users`) and admin users (`admin_users`). See ``AccessLevel`` for who may use which route.
    public struct BasicAuth: Sendable, Hashable {
        /// Scrape users: user name to bcrypt hash (`$2a$`, `$2b$` or `$2y$`), for example from
        /// `htpasswd -nbB user password`. Empty: scrape routes are public.
        public var users: [String: String]
        /// Admin users, who may also scrape: user name to bcrypt hash. Empty: admin routes refuse everyone.
        /// A name may not be in both lists.
        public var adminUsers: [String: String]
        /// The realm named in the `WWW-Authenticate` challenge.
        public var realm: String

        /// Creates a basic-auth configuration.
        public init(users: [String: String], adminUsers: [String: String] = [:], realm: String = "metrics") {
            self.users = users
            self.adminUsers = adminUsers
            self.realm = realm
        }
    }
}
