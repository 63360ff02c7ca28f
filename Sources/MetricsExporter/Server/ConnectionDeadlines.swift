import CircuitBreakerInternals
import CMicroHTTPD

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Absolute per-connection deadlines, the slowloris defence.
///
/// libmicrohttpd's connection timeout is an idle timer that every received byte resets, so a client that sends
/// one header byte a second would hold a connection forever. Each connection gets a deadline when it opens
/// (`MHD_CONNECTION_NOTIFY_STARTED`), a new one when its request head is complete (for the response) and when its
/// request completes (for the next request); a stream's deadline follows its bytes (see ``StreamConnection``). A
/// reaper checks the deadlines a few times a second and shuts the socket of an expired connection down
/// (`shutdown(2)`, not `close(2)`): libmicrohttpd then sees the end of the stream on its own thread and closes and
/// frees the connection as usual.
///
/// A stream waiting for its producer has no deadline but is *probed*: the reaper peeks at its socket and reports
/// the connection when the client has closed it, since libmicrohttpd does not watch suspended connections.
///
/// The file descriptor is only touched under the lock, and libmicrohttpd reports
/// `MHD_CONNECTION_NOTIFY_CLOSED` (which removes the entry under the same lock) before it closes the descriptor, so
/// the reaper can never shut down or peek at a reused descriptor number that belongs to someone else.
final class ConnectionDeadlines: Sendable {
    private struct Entry {
        var descriptor: Int32
        var deadline: UInt64
        var cut: Bool
        var probe: Bool
    }

    /// What one pass of the reaper found.
    struct Reaped {
        /// Connections cut now for passing their deadline.
        var cut: [UInt] = []
        /// Probed connections whose client has gone.
        var gone: [UInt] = []
    }

    private let entries = Locked<[UInt: Entry]>([:])

    /// Registers a new connection under a key unique while it is open (the address of libmicrohttpd's
    /// connection object).
    func opened(key: UInt, descriptor: Int32, deadline: UInt64) {
        self.entries.withLock { entries in
            entries[key] = Entry(descriptor: descriptor, deadline: deadline, cut: false, probe: false)
        }
    }

    /// Gives a connection a new deadline (`.max` for none); `probe` asks the reaper to watch for the client going.
    func arm(_ key: UInt, deadline: UInt64, probe: Bool = false) {
        self.entries.withLock { entries in
            entries[key]?.deadline = deadline
            entries[key]?.probe = probe
        }
    }

    /// Forgets a connection; called before libmicrohttpd closes its descriptor.
    func closed(_ key: UInt) {
        _ = self.entries.withLock { $0.removeValue(forKey: key) }
    }

    /// Whether the reaper has cut this connection.
    func wasCut(_ key: UInt) -> Bool {
        self.entries.withLock { $0[key]?.cut ?? false }
    }

    /// The number of connections being tracked.
    var count: Int {
        self.entries.withLock { $0.count }
    }

    /// Shuts down every connection past its deadline, and peeks at probed ones.
    func reap(now: UInt64) -> Reaped {
        self.entries.withLock { entries in
            var reaped = Reaped()
            for (key, entry) in entries where !entry.cut {
                if entry.deadline <= now {
                    shutdown(entry.descriptor, Int32(SHUT_RDWR))
                    entries[key]?.cut = true
                    reaped.cut.append(key)
                } else if entry.probe {
                    var byte: UInt8 = 0
                    let peeked = recv(entry.descriptor, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT))
                    if peeked == 0 || (peeked < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                        entries[key]?.probe = false
                        reaped.gone.append(key)
                    }
                }
            }
            return reaped
        }
    }
}
