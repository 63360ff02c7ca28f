import CircuitBreakerInternals
import CMicroHTTPD
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Checks `Authorization: Basic` headers against bcrypt hashes, as Prometheus' exporter-toolkit does.
///
/// - bcrypt runs through libcrypt's `crypt_r`, one check at a time (a lock), so a flood of wrong passwords can
///   burn at most one core.
/// - Successful checks are cached, keyed by an HMAC-SHA-256 (with a random per-process key) of the user, the hash
///   and the password, so a scraper that authenticates every 15 s pays for bcrypt once, and no password is stored.
/// - An unknown user is checked against a dummy hash of the same cost, so timing does not reveal which users exist.
/// - The computed hash is compared with the stored one in constant time.
final class BasicAuthenticator: Sendable {
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

    private let users: [String: String]
    let realm: String
    private let dummyHash: String
    private let hmacKey: [UInt8]
    private let cache = Locked(Cache())
    private let workspace: Locked<CryptWorkspace>

    init(configuration: MetricsServerConfiguration.BasicAuth) {
        self.users = configuration.users
        self.realm = configuration.realm
        var generator = SystemRandomNumberGenerator()
        self.hmacKey = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let workspace = CryptWorkspace()
        // A dummy hash with the cost of the first user's hash, for unknown users.
        let model = configuration.users.sorted { $0.key < $1.key }.first?.value ?? "$2y$10$"
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

    /// Whether an `Authorization` header value names a configured user with the right password.
    func isAuthorized(header: UnsafePointer<CChar>?) -> Bool {
        guard let header, let credentials = Self.parseBasicCredentials(header) else { return false }
        let storedHash = self.users[credentials.user]
        let hash = storedHash ?? self.dummyHash
        let digest = self.digest(user: credentials.user, hash: hash, password: credentials.password)
        if storedHash != nil, self.cache.withLock({ $0.members.contains(digest) }) {
            return true
        }
        let matches = self.bcryptMatches(password: credentials.password, hash: hash)
        guard storedHash != nil, matches else { return false }
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
        return true
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

    /// Parses `Basic <base64(user:password)>`; the scheme is case-insensitive. Returns `nil` when malformed.
    static func parseBasicCredentials(_ header: UnsafePointer<CChar>) -> (user: String, password: [UInt8])? {
        let length = strnlen(header, 8_192)
        let bytes = UnsafeBufferPointer(
            start: UnsafeRawPointer(header).assumingMemoryBound(to: UInt8.self),
            count: length
        )
        return parseBasicCredentials(bytes)
    }

    static func parseBasicCredentials(_ bytes: some Collection<UInt8>) -> (user: String, password: [UInt8])? {
        let scheme: [UInt8] = Array("basic".utf8)
        var iterator = bytes.makeIterator()
        for expected in scheme {
            guard let byte = iterator.next(), byte | 0x20 == expected else { return nil }
        }
        var rest: [UInt8] = []
        while let byte = iterator.next() { rest.append(byte) }
        guard let firstNonSpace = rest.firstIndex(where: { $0 != 0x20 }), firstNonSpace > 0 else { return nil }
        var encoded = rest[firstNonSpace...]
        while encoded.last == 0x20 || encoded.last == 0x09 { encoded = encoded.dropLast() }
        guard let decoded = Base64.decode(encoded), let colon = decoded.firstIndex(of: 0x3A) else { return nil }
        guard let user = String(validating: decoded[..<colon], as: UTF8.self) else { return nil }
        return (user, Array(decoded[(colon + 1)...]))
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
