import Logging

/// Who gets a connection slot when slots run short: idle connections give way to new ones, and health checks
/// always get through.
///
/// An idle connection is one that waits for a request: it has just been opened and has not sent a complete request
/// head yet, or it is kept alive between requests. Idle connections cost the attacker nothing and are what a flood
/// of silent sockets is made of, so they are the ones that give way:
/// - **Per address.** When one address holds more than ``idlePerAddress`` idle connections, its oldest idle one is
///   evicted. A new connection is never refused for its address: scrapers behind one NAT address are not locked
///   out however many they are; only the idle sockets one address may park are bounded.
/// - **Globally.** When more than ``softLimit`` connections are open, the oldest idle connection of the address
///   holding the most idle connections is evicted (so a flood from a few addresses makes room from its own
///   sockets first), until the count is back at the limit.
/// - **Reserve.** When no connection is idle (every slot holds a request in flight, each bounded by the request
///   timeout), the new connection is still admitted, into a reserve of ``reserve`` slots above the limit
///   (libmicrohttpd's limit is ``softLimit`` + ``reserve``); while the server stays over its limit, such a
///   connection is served public routes only (the health checks) and answered 503 otherwise.
///
/// Evicting rather than refusing: a refused connection waits in the listen backlog for a slot that an idle socket
/// holds for up to the request timeout, which is how 600 idle sockets used to delay a health check by seconds. An
/// evicted idle client loses nothing but the connection (HTTP clients retry an idempotent request that failed on a
/// reused connection before any response byte).
struct ConnectionAdmission: Sendable {
    /// Connections open before idle ones are evicted.
    let softLimit: Int
    /// Slots above ``softLimit`` for connections admitted while none could be evicted.
    let reserve: Int
    /// The most idle connections one address may hold, or `nil` for no per-address bound.
    let idlePerAddress: Int?

    /// The reserve for a limit: a few slots, more for large limits.
    static func reserve(forLimit limit: Int) -> Int {
        max(8, limit / 32)
    }

    /// The admission of a server with `limits`: its connection limit and reserve, as far as the process's file
    /// descriptors allow (raising the soft limit if needed, see ``FileDescriptorLimit``), and its per-address bound.
    static func forServer(_ limits: MetricsServerConfiguration.Limits, logger: Logger) -> ConnectionAdmission {
        let reserve = Self.reserve(forLimit: limits.connectionLimit)
        let wanted = limits.connectionLimit + reserve
        let descriptors = FileDescriptorLimit.reserve(connections: wanted)
        if let from = descriptors.raisedFrom {
            logger.notice(
                "raised the open-file limit for the metrics server's connections",
                metadata: ["from": "\(from)", "to": "\(descriptors.limit)"]
            )
        }
        var softLimit = limits.connectionLimit
        if descriptors.connections < wanted {
            softLimit = max(1, descriptors.connections - reserve)
            logger.warning(
                "the open-file limit allows fewer connections than configured",
                metadata: ["connectionLimit": "\(limits.connectionLimit)", "allowed": "\(softLimit)"]
            )
        }
        return ConnectionAdmission(softLimit: softLimit, reserve: reserve, idlePerAddress: limits.perIPConnectionLimit)
    }

    /// Admits the new connection `key` (already in `state`, idle): evicts idle connections as described above and
    /// marks the connection as overflow when it had to use the reserve. Returns the number evicted.
    func admit(_ key: UInt, into state: inout ConnectionTable.State) -> Int {
        guard let peer = state.entries[key]?.peer else { return 0 }
        var evicted = 0
        if let bound = self.idlePerAddress {
            while (state.idleByPeer[peer] ?? 0) > bound {
                guard let victim = Self.oldestIdle(of: peer, except: key, in: state) else { break }
                state.cut(victim, .evicted)
                evicted += 1
            }
        }
        while state.live > self.softLimit {
            guard let victim = Self.oldestIdleOfBusiestPeer(except: key, in: state) else {
                state.entries[key]?.overflow = true
                break
            }
            state.cut(victim, .evicted)
            evicted += 1
        }
        return evicted
    }

    /// Whether a connection whose request just arrived may only use public routes: it was admitted into the
    /// reserve, and the server is still over its limit.
    func isRestricted(_ key: UInt, in state: ConnectionTable.State) -> Bool {
        (state.entries[key]?.overflow ?? false) && state.live > self.softLimit
    }

    private static func oldestIdle(of peer: PeerAddress, except key: UInt, in state: ConnectionTable.State) -> UInt? {
        var oldest: (key: UInt, order: UInt64)?
        for (candidate, entry) in state.entries where candidate != key && entry.peer == peer && entry.isEvictable {
            if let order = entry.idleSince, order < oldest?.order ?? .max { oldest = (candidate, order) }
        }
        return oldest?.key
    }

    /// The oldest idle connection of the addresses with the most idle connections (the new connection aside).
    private static func oldestIdleOfBusiestPeer(except key: UInt, in state: ConnectionTable.State) -> UInt? {
        let newPeer = state.entries[key]?.peer
        func others(_ peer: PeerAddress) -> Int {
            let count = state.idleByPeer[peer] ?? 0
            return peer == newPeer ? count - 1 : count
        }
        let most = state.idleByPeer.keys.map(others).max() ?? 0
        guard most > 0 else { return nil }
        var oldest: (key: UInt, order: UInt64)?
        for (candidate, entry) in state.entries where candidate != key && entry.isEvictable {
            guard let order = entry.idleSince, order < oldest?.order ?? .max, others(entry.peer) == most else {
                continue
            }
            oldest = (candidate, order)
        }
        return oldest?.key
    }
}
