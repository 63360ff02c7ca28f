import CircuitBreakerInternals
import Synchronization

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
/// request completes (for the next request). A reaper checks the deadlines a few times a second and shuts the
/// socket of an expired connection down (`shutdown(2)`, not `close(2)`): libmicrohttpd then sees the end of the
/// stream on its own thread and closes and frees the connection as usual.
///
/// The file descriptor is only touched under the lock, and libmicrohttpd reports
/// `MHD_CONNECTION_NOTIFY_CLOSED` (which removes the entry under the same lock) before it closes the descriptor, so
/// the reaper can never shut down a reused descriptor number that belongs to someone else.
final class ConnectionDeadlines: Sendable {
    private struct Entry {
        var descriptor: Int32
        var deadline: UInt64
        var cut: Bool
    }

    private struct State {
        var entries: [UInt: Entry] = [:]
    }

    private let state = Locked(State())

    /// Registers a new connection under a key unique while it is open (the address of libmicrohttpd's
    /// connection object).
    func opened(key: UInt, descriptor: Int32, deadline: UInt64) {
        self.state.withLock { state in
            state.entries[key] = Entry(descriptor: descriptor, deadline: deadline, cut: false)
        }
    }

    /// Gives a connection a new deadline.
    func arm(_ id: UInt, deadline: UInt64) {
        self.state.withLock { state in
            state.entries[id]?.deadline = deadline
        }
    }

    /// Forgets a connection; called before libmicrohttpd closes its descriptor.
    func closed(_ id: UInt) {
        _ = self.state.withLock { state in
            state.entries.removeValue(forKey: id)
        }
    }

    /// The number of connections being tracked.
    var count: Int {
        self.state.withLock { $0.entries.count }
    }

    /// Shuts down every connection past its deadline; returns how many were cut now.
    func reap(now: UInt64) -> Int {
        self.state.withLock { state in
            var cut = 0
            for (id, entry) in state.entries where !entry.cut && entry.deadline <= now {
                shutdown(entry.descriptor, Int32(SHUT_RDWR))
                state.entries[id]?.cut = true
                cut += 1
            }
            return cut
        }
    }
}
