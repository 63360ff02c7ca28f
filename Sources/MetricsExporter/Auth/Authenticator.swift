import CircuitBreakerInternals
import CMicroHTTPD
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Checks `Authorization: Basic` headers against bcrypt hashes, as Prometheus' exporter-toolkit does, and tells
/// which user (scrape or admin) a request is.
///
/// - bcrypt runs through libcrypt's `crypt_r`, one check at a time (a lock), so a flood of wrong passwords can
///   burn at most one core.
/// - Successful checks are cached, keyed by an HMAC-SHA-256 (with a random per-process key) of the user, the hash
///   and the password, so a scraper that authenticates every 15 s pays for bcrypt once, and no password is stored.
/// - An unknown user is checked against a dummy hash of the same cost, so timing does not reveal which users exist.
/// - The computed hash is compared with the stored one in constant time.
final class Authenticator: Sendable {
    /// A 256-bit digest used as a cache key.
    struct Digest: Hashable {
        var words: (UInt64, UInt64, UInt64, UInt64)

        static func == (lhs: Digest, rhs: Digest) -> Bool {
            lhs.words == rhs.words
        }

        func hash(into hasher: inout Hasher) {
            hasher.combine(self.words.0)
            hasher.combine(self.words.1)
            hasher.combine(self.words.2)
            hasher.combine(self.words.3)
        }
    }

    private struct Cache {
        var members: Set<Digest> = []
        var order: [Digest] = []
        var next = 0
    }

    /// The scratch area of `crypt_r` (about 32 KiB), used under the lock only.
    private final class CryptWorkspace {
        let data = UnsafeMutablePointer<crypt_data>.allocate(capacity: 1)

        init() {
            memset(self.data, 0, MemoryLayout<crypt_data>.size)
        }

        deinit {
            self.data.deallocate()
        }
    }

    static let cacheCapacity = 256

    private let users: [String: (hash: String, level: AccessLevel)]
    let realm: String
    /// Whether scrape users are configured; without them, scrape routes are public.
    let hasScrapeUsers: Bool
    /// Whether admin users are configured; without them, admin routes refuse everyone.
    let hasAdminUsers: Bool
    private let dummyHash: String
    private let hmacKey: [UInt8]
    private let cache = Locked(Cache())
    private let workspace: Locked<CryptWorkspace>

    init(configuration: MetricsServerConfiguration.BasicAuth) {
        var users: [String: (hash: String, level: AccessLevel)] = [:]
        for (name, hash) in configuration.users { users[name] = (hash, .scrape) }
        for (name, hash) in configuration.adminUsers { users[name] = (hash, .admin) }
        self.users = users
        self.realm = configuration.realm
        self.hasScrapeUsers = !configuration.users.isEmpty
        self.hasAdminUsers = !configuration.adminUsers.isEmpty
        var generator = SystemRandomNumberGenerator()
        self.hmacKey = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let workspace = CryptWorkspace()
        // A dummy hash with the cost of the first user's hash, for unknown users.
        let model = users.sorted { $0.key < $1.key }.first?.value.hash ?? "$2y$10$"
        let cost = UInt(model.utf8.dropFirst(4).prefix(2).reduce(0) { $0 * 10 + Int($1) - 48 })
        var salt = [CChar](repeating: 0, count: 64)
        var dummy = model
        if crypt_gensalt_rn("$2y$", cost, nil, 0, &salt, Int32(salt.count)) != nil,
            let output = crypt_r("not a password", salt, workspace.data)
        {
            let hash = String(cString: output)
            if isBcryptHash(hash) { dummy = hash }
        }
        self.dummyHash = dummy
        self.workspace = Locked(workspace)
    }

    /// The configured user an `Authorization` header value names with the right password, or `nil`.
    func authenticate(header: some Collection<UInt8>) -> AuthenticatedUser? {
        guard let credentials = BasicCredentials(header: header) else { return nil }
        let stored = self.users[credentials.user]
        let hash = stored?.hash ?? self.dummyHash
        let digest = self.digest(user: credentials.user, hash: hash, password: credentials.password)
        if let stored, self.cache.withLock({ $0.members.contains(digest) }) {
            return AuthenticatedUser(name: credentials.user, level: stored.level)
        }
        let matches = self.bcryptMatches(password: credentials.password, hash: hash)
        guard let stored, matches else { return nil }
        self.cache.withLock { cache in
            guard cache.members.insert(digest).inserted else { return }
            if cache.order.count < Self.cacheCapacity {
                cache.order.append(digest)
            } else {
                cache.members.remove(cache.order[cache.next])
                cache.order[cache.next] = digest
                cache.next = (cache.next + 1) % Self.cacheCapacity
            }
        }
        return AuthenticatedUser(name: credentials.user, level: stored.level)
    }

    private func bcryptMatches(password: [UInt8], hash: String) -> Bool {
        // A NUL would end the C string early; no bcrypt hash matches such a password by design.
        guard !password.contains(0) else { return false }
        return self.workspace.withLock { workspace -> Bool in
            var phrase = password.map { CChar(bitPattern: $0) }
            phrase.append(0)
            guard let output = crypt_r(phrase, hash, workspace.data) else { return false }
            let computed = Array(String(cString: output).utf8)
            return constantTimeEqual(computed, Array(hash.utf8))
        }
    }

    private func digest(user: String, hash: String, password: [UInt8]) -> Digest {
        var message: [UInt8] = []
        message.reserveCapacity(user.utf8.count + hash.utf8.count + password.count + 8)
        for field in [Array(user.utf8), Array(hash.utf8)] {
            let length = UInt32(field.count)
            message.append(contentsOf: [
                UInt8(length >> 24), UInt8((length >> 16) & 0xFF),
                UInt8((length >> 8) & 0xFF), UInt8(length & 0xFF),
            ])
            message.append(contentsOf: field)
        }
        message.append(contentsOf: password)
        var output = [UInt8](repeating: 0, count: 32)
        let status = self.hmacKey.withUnsafeBytes { key in
            message.withUnsafeBytes { text in
                gnutls_hmac_fast(GNUTLS_MAC_SHA256, key.baseAddress, key.count, text.baseAddress, text.count, &output)
            }
        }
        if status != 0 {
            // No digest: return one that is random, so the cache can never match.
            var generator = SystemRandomNumberGenerator()
            return Digest(words: (generator.next(), generator.next(), generator.next(), generator.next()))
        }
        func word(_ index: Int) -> UInt64 {
            output[(index * 8)..<(index * 8 + 8)].reduce(0) { $0 << 8 | UInt64($1) }
        }
        return Digest(words: (word(0), word(1), word(2), word(3)))
    }
}

/// Compares two byte strings in time that depends only on their lengths.
func constantTimeEqual(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
    guard lhs.count == rhs.count else { return false }
    var difference: UInt8 = 0
    for index in lhs.indices {
        difference |= lhs[index] ^ rhs[index]
    }
    return difference == 0
}
