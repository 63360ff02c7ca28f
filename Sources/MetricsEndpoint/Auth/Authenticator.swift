import CCrypt
import CircuitBreakerInternals
import PortableRoutes
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Checks `Authorization: Basic` headers against bcrypt hashes, as Prometheus' exporter-toolkit does, and tells
/// which user (scrape or admin) a request is, without letting a flood of wrong passwords starve the server.
///
/// A check has a cheap part, done at once on libmicrohttpd's thread (``screen(header:level:peer:now:)``), and an
/// expensive part, bcrypt, done on the ``AuthenticationPool``'s threads while the request is suspended
/// (``verify(_:)``):
/// - **Known good.** Credentials that passed bcrypt are remembered (``DigestCache``) by an HMAC-SHA-256, with a
///   random per-process key, of the user, the stored hash and the password, so a scraper that authenticates every
///   15 s pays for bcrypt once, and no password is stored. They skip the failure limit.
/// - **Limited.** Every other attempt takes a token of its address's ``FailedLoginLimiter``; an address out of
///   tokens gets 429 before any work.
/// - **Known wrong.** Credentials that failed bcrypt are remembered the same way, so repeating a wrong password
///   costs a token but no bcrypt.
/// - **Unknown users** are checked against a dummy hash with the highest cost among the users who may use the
///   route (admins for an admin route; scrape and admin users for a scrape route), so timing does not tell which
///   users exist, whatever cost each class was configured with.
/// - The computed hash is compared with the stored one in constant time.
package final class Authenticator: Sendable {
    /// A 256-bit digest used as a cache key.
    package struct Digest: Hashable, Sendable {
        var words: (UInt64, UInt64, UInt64, UInt64)

        package init(words: (UInt64, UInt64, UInt64, UInt64)) {
            self.words = words
        }

        package static func == (lhs: Digest, rhs: Digest) -> Bool {
            lhs.words == rhs.words
        }

        package func hash(into hasher: inout Hasher) {
            hasher.combine(self.words.0)
            hasher.combine(self.words.1)
            hasher.combine(self.words.2)
            hasher.combine(self.words.3)
        }
    }

    /// A bcrypt check to run off libmicrohttpd's threads.
    package struct Job: Sendable {
        package let user: String
        let password: [UInt8]
        /// The stored hash, or the dummy hash for an unknown user.
        let hash: String
        /// The user's level, `nil` for an unknown user.
        let level: AccessLevel?
        let digest: Digest
        package let peer: PeerAddress

        package init(
            user: String,
            password: [UInt8],
            hash: String,
            level: AccessLevel?,
            digest: Digest,
            peer: PeerAddress
        ) {
            self.user = user
            self.password = password
            self.hash = hash
            self.level = level
            self.digest = digest
            self.peer = peer
        }
    }

    /// Why credentials are refused without a bcrypt check.
    package enum Refusal: Error, Equatable, Sendable {
        /// Malformed, or known wrong: 401 with a challenge.
        case unauthorized
        /// The address is out of login attempts: 429 with `Retry-After`.
        case tooManyFailedLogins(retryAfterSeconds: Int)
    }

    /// What the cheap part decided.
    package enum Screening {
        /// Known good credentials.
        case user(AuthenticatedUser)
        /// Refused at once (401 for a malformed header or known wrong credentials, 429 past the failure limit).
        case refused(Refusal)
        /// bcrypt must decide; the attempt has taken a token of its address.
        case verify(Job)
    }

    static let cacheCapacity = 256
    /// The highest bcrypt cost accepted: a check at cost 14 takes about a second of CPU; beyond it, a handful of
    /// logins would occupy the pool for minutes.
    package static let maximumCost = 14

    private let users: [String: (hash: String, level: AccessLevel)]
    package let realm: String
    /// Whether scrape users are configured; without them, scrape routes are public.
    package let hasScrapeUsers: Bool
    /// Whether admin users are configured; without them, admin routes refuse everyone.
    package let hasAdminUsers: Bool
    /// The dummy hash for unknown users on scrape routes, then on admin routes.
    private let dummyHashes: (scrape: String, admin: String)
    private let hmacKey: [UInt8]
    private let good = DigestCache(capacity: Authenticator.cacheCapacity)
    private let wrong = DigestCache(capacity: Authenticator.cacheCapacity * 4)
    package let limiter: FailedLoginLimiter
    private let failures = Atomic<UInt64>(0)
    private let bcryptChecks = Atomic<UInt64>(0)

    package init(configuration: WebConfiguration.BasicAuth, limiter: FailedLoginLimiter = FailedLoginLimiter()) {
        var users: [String: (hash: String, level: AccessLevel)] = [:]
        for (name, hash) in configuration.users { users[name] = (hash, .scrape) }
        for (name, hash) in configuration.adminUsers { users[name] = (hash, .admin) }
        self.users = users
        self.realm = configuration.realm
        self.hasScrapeUsers = !configuration.users.isEmpty
        self.hasAdminUsers = !configuration.adminUsers.isEmpty
        self.limiter = limiter
        var generator = SystemRandomNumberGenerator()
        self.hmacKey = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let workspace = CryptWorkspace()
        func dummy(for level: AccessLevel) -> String {
            let cost = users.values.filter { $0.level >= level }.compactMap { bcryptCost($0.hash) }.max() ?? 10
            return makeDummyHash(cost: cost, workspace: workspace) ?? users.values.first?.hash ?? ""
        }
        self.dummyHashes = (dummy(for: .scrape), dummy(for: .admin))
    }

    /// The dummy hash of unknown users on routes of `level`.
    package func dummyHash(for level: AccessLevel) -> String {
        level >= .admin ? self.dummyHashes.admin : self.dummyHashes.scrape
    }

    /// bcrypt computations run so far (a test hook: the caches are seen working by this count not moving).
    package var bcryptChecksRun: UInt64 {
        self.bcryptChecks.load(ordering: .relaxed)
    }

    /// Failed attempts so far (wrong passwords, unknown users, malformed headers), for the self-metrics.
    package var failedAttempts: UInt64 {
        self.failures.load(ordering: .relaxed)
    }

    /// The cheap part of a check of `header` for a route of `level`, from `peer`, at `now` (server clock).
    package func screen(header: some Collection<UInt8>, level: AccessLevel, peer: PeerAddress, now: UInt64) -> Screening {
        guard let credentials = BasicCredentials(header: header) else {
            return self.refuse(peer, now: now)
        }
        let stored = self.users[credentials.user]
        let hash = stored?.hash ?? self.dummyHash(for: level)
        let digest = self.digest(user: credentials.user, hash: hash, password: credentials.password)
        if let stored, self.good.contains(digest) {
            return .user(AuthenticatedUser(name: credentials.user, level: stored.level))
        }
        if self.wrong.contains(digest) { return self.refuse(peer, now: now) }
        if case .throttled(let seconds) = self.limiter.take(peer, now: now) {
            return .refused(.tooManyFailedLogins(retryAfterSeconds: seconds))
        }
        return .verify(
            Job(
                user: credentials.user,
                password: credentials.password,
                hash: hash,
                level: stored?.level,
                digest: digest,
                peer: peer
            )
        )
    }

    /// A refusal of a malformed or known wrong attempt: it takes a token like any failure (429 once none is left).
    private func refuse(_ peer: PeerAddress, now: UInt64) -> Screening {
        self.failures.add(1, ordering: .relaxed)
        if case .throttled(let seconds) = self.limiter.take(peer, now: now) {
            return .refused(.tooManyFailedLogins(retryAfterSeconds: seconds))
        }
        return .refused(.unauthorized)
    }

    /// The expensive part: bcrypt with `workspace` (one per pool thread), then the caches, the failure count and
    /// the token (given back on success). Returns the user, or `nil`.
    package func verify(_ job: Job, workspace: CryptWorkspace, now: @autoclosure () -> UInt64) -> AuthenticatedUser? {
        self.bcryptChecks.add(1, ordering: .relaxed)
        let matches = bcryptMatches(password: job.password, hash: job.hash, workspace: workspace)
        guard let level = job.level, matches else {
            self.failures.add(1, ordering: .relaxed)
            self.wrong.insert(job.digest)
            return nil
        }
        self.good.insert(job.digest)
        self.limiter.giveBack(job.peer, now: now())
        return AuthenticatedUser(name: job.user, level: level)
    }

    /// Checks `header` for a route of `level` at once, bcrypt included, on the calling thread: for tests and tools
    /// that have no pool. The server never calls it.
    package func authenticateNow(header: some Collection<UInt8>, level: AccessLevel, peer: PeerAddress, now: UInt64)
        -> Result<AuthenticatedUser, Refusal>
    {
        switch self.screen(header: header, level: level, peer: peer, now: now) {
        case .user(let user): return .success(user)
        case .refused(let rejection): return .failure(rejection)
        case .verify(let job):
            let user = self.verify(job, workspace: CryptWorkspace(), now: now)
            return user.map { .success($0) } ?? .failure(.unauthorized)
        }
    }

    private func digest(user: String, hash: String, password: [UInt8]) -> Digest {
        var message: [UInt8] = []
        message.reserveCapacity(user.utf8.count + hash.utf8.count + password.count + 8)
        for field in [Array(user.utf8), Array(hash.utf8)] {
            let length = UInt32(truncatingIfNeeded: field.count)
            message.append(contentsOf: [
                UInt8(length >> 24), UInt8((length >> 16) & 0xFF),
                UInt8((length >> 8) & 0xFF), UInt8(length & 0xFF),
            ])
            message.append(contentsOf: field)
        }
        message.append(contentsOf: password)
        let output = SHA256.hmac(key: self.hmacKey, message: message)
        func word(_ index: Int) -> UInt64 {
            output[(index * 8)..<(index * 8 + 8)].reduce(0) { $0 << 8 | UInt64($1) }
        }
        return Digest(words: (word(0), word(1), word(2), word(3)))
    }
}

/// The scratch area of `crypt_r` (about 32 KiB): one per thread that runs bcrypt.
package final class CryptWorkspace {
    let data = UnsafeMutablePointer<crypt_data>.allocate(capacity: 1)

    package init() {
        memset(self.data, 0, MemoryLayout<crypt_data>.size)
    }

    deinit {
        self.data.deallocate()
    }
}

/// Whether `password` hashes to `hash` (constant-time comparison of the result).
package func bcryptMatches(password: [UInt8], hash: String, workspace: CryptWorkspace) -> Bool {
    // A NUL would end the C string early; no bcrypt hash matches such a password by design.
    guard !password.contains(0) else { return false }
    var phrase = password.map { CChar(bitPattern: $0) }
    phrase.append(0)
    guard let output = crypt_r(phrase, hash, workspace.data) else { return false }
    let computed = Array(String(cString: output).utf8)
    return constantTimeEqual(computed, Array(hash.utf8))
}

/// The cost of a bcrypt hash (`$2y$10$…` → 10), read from two checked ASCII digits; `nil` when it is not one.
package func bcryptCost(_ hash: String) -> Int? {
    let bytes = Array(hash.utf8.prefix(7))
    guard bytes.count == 7, bytes[3] == UInt8(ascii: "$"), bytes[6] == UInt8(ascii: "$"),
        (0x30...0x39).contains(bytes[4]), (0x30...0x39).contains(bytes[5])
    else { return nil }
    return Int(bytes[4] - 0x30) * 10 + Int(bytes[5] - 0x30)
}

/// A bcrypt hash of a fixed phrase with a random salt at `cost`, or `nil` if libcrypt refuses.
private func makeDummyHash(cost: Int, workspace: CryptWorkspace) -> String? {
    makeBcryptHash(password: "not a password", cost: cost, workspace: workspace)
}

/// A `$2y$` bcrypt hash of `password` with a random salt at `cost` (4...31), as `htpasswd -nbB -C cost` makes one;
/// `nil` if libcrypt refuses. For the dummy hashes, and for tests that need a user.
package func makeBcryptHash(password: String, cost: Int, workspace: CryptWorkspace = CryptWorkspace()) -> String? {
    var salt = [CChar](repeating: 0, count: 64)
    guard crypt_gensalt_rn("$2y$", UInt(clamping: cost), nil, 0, &salt, Int32(salt.count)) != nil,
        let output = crypt_r(password, salt, workspace.data)
    else { return nil }
    let hash = String(cString: output)
    return isBcryptHash(hash) ? hash : nil
}

/// Compares two byte strings in time that depends only on their lengths.
package func constantTimeEqual(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
    guard lhs.count == rhs.count else { return false }
    var difference: UInt8 = 0
    for index in lhs.indices {
        difference |= lhs[index] ^ rhs[index]
    }
    return difference == 0
}
