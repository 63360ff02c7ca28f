import CircuitBreakerInternals
import CMicroHTTPD

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Every open connection the server has: its socket, its peer's address, whether it waits for a request (idle) or
/// has one in flight, and its absolute deadline. Three defences work from this table.
///
/// - **Deadlines** (the slowloris defence). libmicrohttpd's connection timeout is an idle timer that every received
///   byte resets, so a client that sends one header byte a second would hold a connection forever. Each connection
///   gets a deadline when it opens (`MHD_CONNECTION_NOTIFY_STARTED`), a new one when its request head is complete
///   (for the response) and when its request completes (for the next request); a stream's deadline follows its
///   bytes (see ``StreamConnection``). The reaper (``DeadlineReaper``) cuts expired connections.
/// - **Admission** (``ConnectionAdmission``): a new connection never waits for a slot while idle connections hold
///   them; the oldest idle one is evicted instead.
/// - **Watching for clients that left.** Between requests, and while a stream waits for its producer,
///   libmicrohttpd may not notice that the client closed its end (its epoll is edge-triggered, and the edge may
///   have come while it was writing, or while the connection was suspended), so the reaper peeks at those sockets
///   (``reap(now:)``).
///
/// Cutting a connection means shutting its socket down (`shutdown(2)`, not `close(2)`): libmicrohttpd then sees the
/// end of the stream on its own thread and closes and frees the connection as usual. The file descriptor is only
/// touched under the lock, and libmicrohttpd reports `MHD_CONNECTION_NOTIFY_CLOSED` (which removes the entry under
/// the same lock) before it closes the descriptor, so a reused descriptor number is never touched.
final class ConnectionTable: Sendable {
    /// Why the server shut a connection down.
    enum Cut: Equatable {
        /// It passed its deadline.
        case deadline
        /// It was idle and its slot was needed (``ConnectionAdmission``).
        case evicted
        /// Its client closed its end while the connection waited for a request.
        case clientClosed
        /// The server is stopping.
        case stopping
    }

    struct Entry {
        var descriptor: Int32
        var peer: PeerAddress
        /// The order in which the connection began waiting for a request (lower is older), or `nil` while a
        /// request is in flight.
        var idleSince: UInt64?
        var deadline: UInt64
        /// Whether the reaper peeks at the socket for the client leaving.
        var probe = false
        /// Admitted while every slot was busy: served public routes only (``ConnectionAdmission``).
        var overflow = false
        /// For a stream waiting for its producer: since when the socket has held bytes its client did not take,
        /// and how many there were then (see ``ConnectionTable/reap(now:stallLimit:)``).
        var stalledSince: UInt64?
        var stalledUnsent: Int32 = 0
        var cut: Cut?

        /// Idle, and not yet cut: a connection admission may evict.
        var isEvictable: Bool { self.idleSince != nil && self.cut == nil }
    }

    /// The table under the lock, with counts kept in step with the entries.
    struct State {
        var entries: [UInt: Entry] = [:]
        /// Entries not cut.
        var live = 0
        /// Evictable entries per peer address.
        var idleByPeer: [PeerAddress: Int] = [:]
        /// The next idle order number.
        var nextIdleOrder: UInt64 = 0
        /// Set by ``beginStopping()``.
        var stopping = false

        /// Marks an entry as beginning to wait for a request.
        mutating func becomeIdle(_ key: UInt) {
            guard let entry = self.entries[key], entry.idleSince == nil else { return }
            self.entries[key]?.idleSince = self.nextIdleOrder
            self.nextIdleOrder &+= 1
            if entry.cut == nil { self.idleByPeer[entry.peer, default: 0] += 1 }
        }

        /// Marks an entry as having a request in flight.
        mutating func becomeBusy(_ key: UInt) {
            guard let entry = self.entries[key], entry.idleSince != nil else { return }
            self.entries[key]?.idleSince = nil
            if entry.cut == nil { self.decrementIdle(entry.peer) }
        }

        /// Shuts an entry's socket down (`how`: `SHUT_RDWR`, or `SHUT_WR` to let the client read what is sent).
        mutating func cut(_ key: UInt, _ reason: Cut, how: Int32 = Int32(SHUT_RDWR)) {
            guard let entry = self.entries[key], entry.cut == nil else { return }
            shutdown(entry.descriptor, how)
            self.entries[key]?.cut = reason
            self.entries[key]?.probe = false
            self.live -= 1
            if entry.idleSince != nil { self.decrementIdle(entry.peer) }
        }

        mutating func remove(_ key: UInt) {
            guard let entry = self.entries.removeValue(forKey: key), entry.cut == nil else { return }
            self.live -= 1
            if entry.idleSince != nil { self.decrementIdle(entry.peer) }
        }

        private mutating func decrementIdle(_ peer: PeerAddress) {
            let count = (self.idleByPeer[peer] ?? 1) - 1
            self.idleByPeer[peer] = count > 0 ? count : nil
        }
    }

    /// What the reaper found in one pass.
    struct Reaped {
        /// Connections cut for passing their deadline.
        var timedOut = 0
        /// Idle connections whose client had closed its end, now closed.
        var clientsClosed = 0
        /// Connections with a stream waiting for its producer whose client has gone.
        var streamsGone: [UInt] = []
        /// Connections with a stream whose client stopped reading, cut (and counted in ``timedOut``).
        var streamsStalled: [UInt] = []
    }

    private let state = Locked(State())
    private let admission: ConnectionAdmission

    init(admission: ConnectionAdmission) {
        self.admission = admission
    }

    /// Registers a new connection under a key unique while it is open (the address of libmicrohttpd's connection
    /// object), idle until its request head arrives, and admits it: returns how many idle connections were evicted
    /// to make room.
    func opened(key: UInt, descriptor: Int32, peer: PeerAddress, deadline: UInt64) -> Int {
        self.state.withLock { state in
            // libmicrohttpd reports every close before the key can come back; should it not, keep the counts right.
            state.remove(key)
            state.entries[key] = Entry(descriptor: descriptor, peer: peer, idleSince: nil, deadline: deadline)
            state.live += 1
            state.becomeIdle(key)
            return self.admission.admit(key, into: &state)
        }
    }

    /// A request head arrived: the connection is busy until the request completes, with a new deadline. Returns
    /// whether the connection is restricted to public routes (see ``ConnectionAdmission``).
    func requestStarted(_ key: UInt, deadline: UInt64) -> Bool {
        self.state.withLock { state in
            state.becomeBusy(key)
            state.entries[key]?.deadline = deadline
            state.entries[key]?.probe = false
            return self.admission.isRestricted(key, in: state)
        }
    }

    /// The request completed: the connection waits for the next one, until `deadline`, and the reaper watches for
    /// the client closing its end. While the server stops, the connection is closed instead, after what was sent.
    func requestCompleted(_ key: UInt, deadline: UInt64) {
        self.state.withLock { state in
            state.becomeIdle(key)
            guard !state.stopping else {
                // Only the sending side: the client still reads the response it was sent, then sees the end.
                state.cut(key, .stopping, how: Int32(SHUT_WR))
                return
            }
            state.entries[key]?.deadline = deadline
            state.entries[key]?.probe = true
        }
    }

    /// Gives a busy connection a new deadline (`.max` for none); `probe` asks the reaper to watch for the client
    /// going (a stream waiting for its producer).
    func arm(_ key: UInt, deadline: UInt64, probe: Bool = false) {
        self.state.withLock { state in
            state.entries[key]?.deadline = deadline
            state.entries[key]?.probe = probe
        }
    }

    /// Forgets a connection; called before libmicrohttpd closes its descriptor.
    func closed(_ key: UInt) {
        self.state.withLock { $0.remove(key) }
    }

    /// Why the server cut this connection, if it did.
    func cut(of key: UInt) -> Cut? {
        self.state.withLock { $0.entries[key]?.cut }
    }

    /// The number of connections open (including those cut that libmicrohttpd has not closed yet).
    var count: Int {
        self.state.withLock { $0.entries.count }
    }

    /// Closes every idle connection, and from now on closes each connection once its request completes.
    func beginStopping() {
        self.state.withLock { state in
            state.stopping = true
            for (key, entry) in state.entries where entry.isEvictable { state.cut(key, .stopping) }
        }
    }

    /// Cuts every connection past its deadline, and peeks at watched ones: an idle connection whose client has
    /// closed its end is closed; a stream waiting for its producer whose client has gone is reported; and a stream
    /// whose client has stopped reading is cut once the bytes its socket holds have not gone down for `stallLimit`
    /// nanoseconds. (The kernel's buffers take what a stream sends while its client does not read, so the server
    /// sees no pending bytes and no deadline runs: heartbeats would keep such a stream open for ever.)
    func reap(now: UInt64, stallLimit: UInt64 = .max) -> Reaped {
        self.state.withLock { state in
            var reaped = Reaped()
            for (key, entry) in state.entries where entry.cut == nil {
                if entry.deadline <= now {
                    state.cut(key, .deadline)
                    reaped.timedOut += 1
                } else if entry.probe, Self.clientClosed(entry.descriptor) {
                    if entry.idleSince != nil {
                        state.cut(key, .clientClosed)
                        reaped.clientsClosed += 1
                    } else {
                        state.entries[key]?.probe = false
                        reaped.streamsGone.append(key)
                    }
                } else if entry.probe, entry.idleSince == nil {
                    let unsent = cmhd_unsent_bytes(entry.descriptor)
                    guard unsent > 0 else {
                        state.entries[key]?.stalledSince = nil
                        continue
                    }
                    if let since = entry.stalledSince, unsent >= entry.stalledUnsent {
                        guard now &- since >= stallLimit else { continue }
                        state.cut(key, .deadline)
                        reaped.timedOut += 1
                        reaped.streamsStalled.append(key)
                    } else {
                        state.entries[key]?.stalledSince = now
                        state.entries[key]?.stalledUnsent = unsent
                    }
                }
            }
            return reaped
        }
    }

    /// Whether the client has closed its end (or the socket failed): a peek finds the end of the stream rather
    /// than data or nothing yet. A half-closed client looks the same, which is right for an idle connection
    /// (it cannot send another request) and for a stream (it has stopped listening for the end).
    private static func clientClosed(_ descriptor: Int32) -> Bool {
        var byte: UInt8 = 0
        let peeked = recv(descriptor, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT))
        return peeked == 0 || (peeked < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
    }
}

extension PeerAddress {
    /// The peer of a libmicrohttpd connection, or the all-zero address when libmicrohttpd does not know it.
    init(of connection: OpaquePointer) {
        var bytes = (UInt64(0), UInt64(0))
        let known = withUnsafeMutableBytes(of: &bytes) { raw in
            cmhd_connection_peer(connection, raw.baseAddress?.assumingMemoryBound(to: UInt8.self))
        }
        self.init(high: known == 1 ? bytes.0 : 0, low: known == 1 ? bytes.1 : 0)
    }
}
