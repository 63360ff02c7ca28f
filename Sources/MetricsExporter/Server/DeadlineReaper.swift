import CircuitBreakerInternals
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// A dedicated thread (see ``startServerThread(_:)``) that enforces the deadlines of the ``ConnectionTable`` a few
/// times a second, and closes idle connections whose client has left.
final class DeadlineReaper: Sendable {
    private let stopping = Atomic<Bool>(false)
    private let interval: UInt64
    private let context: ServerContext
    /// Set once in `start` before any other thread can see it, read once in `stop`.
    private let thread = Locked<pthread_t?>(nil)

    init(context: ServerContext, intervalNanoseconds: UInt64) {
        self.context = context
        self.interval = intervalNanoseconds
    }

    /// Starts the thread; false if the system refused to create one.
    func start() -> Bool {
        guard let thread = startServerThread({ [self] in self.loop() }) else { return false }
        self.thread.withLock { $0 = thread }
        return true
    }

    /// Stops the thread and waits for it to finish (at most one interval).
    func stop() {
        self.stopping.store(true, ordering: .releasing)
        if let thread = self.thread.withLock({ state -> pthread_t? in
            defer { state = nil }
            return state
        }) {
            pthread_join(thread, nil)
        }
    }

    private func loop() {
        var pause = timespec(tv_sec: Int(self.interval / 1_000_000_000), tv_nsec: Int(self.interval % 1_000_000_000))
        while !self.stopping.load(ordering: .acquiring) {
            var remaining = timespec()
            nanosleep(&pause, &remaining)
            self.enforceDeadlines()
        }
    }

    /// One pass: answers scrapes that waited past their deadline with 503, cuts connections past theirs (and
    /// streams whose client stopped reading for a request timeout), and closes the idle connections whose client
    /// has closed its end, as of the server clock's current reading. The thread
    /// runs it every interval; tests call it after advancing a manual clock.
    func enforceDeadlines() {
        let now = self.context.clock.nanoseconds()
        self.context.shared.expire(now: now)
        let reaped = self.context.connections.reap(now: now, stallLimit: self.context.requestTimeout)
        if reaped.timedOut > 0 {
            self.context.selfMetrics.recordTimeouts(reaped.timedOut)
            self.context.logger.debug(
                "closed connections that exceeded the request timeout",
                metadata: ["count": "\(reaped.timedOut)"]
            )
        }
        if reaped.clientsClosed > 0 {
            self.context.logger.debug(
                "closed idle connections whose client had closed its end",
                metadata: ["count": "\(reaped.clientsClosed)"]
            )
        }
        // A stream waiting for its producer is suspended, and libmicrohttpd watches no suspended socket: resume
        // the streams whose client has gone, so that it ends them. (A stream is never cut while suspended: it has
        // no deadline then.)
        for key in reaped.streamsGone { self.context.stream(key)?.stream.abort(.clientGone) }
        // A stream whose client stopped reading was cut; resume it so that libmicrohttpd ends it.
        for key in reaped.streamsStalled { self.context.stream(key)?.stream.abort(.timedOut) }
    }
}
