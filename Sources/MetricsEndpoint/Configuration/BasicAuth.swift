extension WebConfiguration {
    /// HTTP basic authentication against bcrypt hashes, as in Prometheus' web configuration file: scrape users
    /// (`basic_auth_users`) and admin users (`admin_users`). See ``/PortableRoutes/AccessLevel`` for who may use
    /// which route.
    public struct BasicAuth: Sendable, Hashable {
        /// Scrape users: user name to bcrypt hash (`$2a$`, `$2b$` or `$2y$`), for example from
        /// `htpasswd -nbB user password`. Empty: scrape routes are public.
        public var users: [String: String]
        /// Admin users, who may also scrape: user name to bcrypt hash. Empty: admin routes refuse everyone.
        /// A name may not be in both lists.
        public var adminUsers: [String: String]
        /// The realm named in the `WWW-Authenticate` challenge.
        public var realm: String

        /// Creates a basic-auth configuration (checked by ``validate()``, which servers call when they start).
        public init(users: [String: String], adminUsers: [String: String] = [:], realm: String = "metrics") {
            self.users = users
            self.adminUsers = adminUsers
            self.realm = realm
        }

        /// Checks the users and the realm; throws ``MetricsServerError/Code/invalidConfiguration`` naming the first
        /// bad one.
        public func validate() throws(MetricsServerError) {
            func invalid(_ message: String, line: Int = #line) -> MetricsServerError {
                MetricsServerError(.invalidConfiguration, message, line: line)
            }
            guard !self.users.isEmpty || !self.adminUsers.isEmpty else {
                throw invalid("basicAuth has no users and no admin users")
            }
            if let both = self.users.keys.sorted().first(where: { self.adminUsers[$0] != nil }) {
                throw invalid("basicAuth: '\(both)' is both a scrape and an admin user (admins may scrape anyway)")
            }
            let everyone: [(user: String, hash: String)] =
                self.users.map { (user: $0.key, hash: $0.value) } + self.adminUsers.map { (user: $0.key, hash: $0.value) }
            for (user, hash) in everyone.sorted(by: { $0.user < $1.user }) {
                guard isValidUserName(user) else {
                    throw invalid("basicAuth: user name '\(user)' is empty or holds ':' or control characters")
                }
                guard isBcryptHash(hash) else {
                    throw invalid("basicAuth: the hash of user '\(user)' is not a bcrypt hash ($2a$, $2b$ or $2y$)")
                }
                if let cost = bcryptCost(hash), cost > Authenticator.maximumCost {
                    throw invalid(
                        "basicAuth: the hash of user '\(user)' has bcrypt cost \(cost); "
                            + "at most \(Authenticator.maximumCost) is accepted"
                    )
                }
            }
            guard self.realm.utf8.allSatisfy({ $0 >= 0x20 && $0 != 0x7F && $0 != 0x22 && $0 != 0x5C }) else {
                throw invalid("basicAuth.realm must not hold quotes, backslashes or control characters")
            }
        }
    }
}
