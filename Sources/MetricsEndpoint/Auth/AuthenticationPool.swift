import CCrypt
import CircuitBreakerInternals
import PortableRoutes

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The threads that run bcrypt, so that libmicrohttpd's threads never do: a request whose credentials need a
/// check is suspended (no thread waits for it) while one of these threads checks them, and public routes, health
/// checks and scrapes with known credentials are served meanwhile as if nothing happened.
///
/// - **Small**: ``threadCount`` threads (two by default), each with its own `crypt_r` workspace (no lock around
///   bcrypt), running at a lower scheduling priority (nice +10) than the server's other threads, so on a busy
///   machine the event threads win the CPU.
/// - **Bounded**: at most ``capacity`` checks wait, and at most ``perAddress`` of one client address; more are
///   refused at once (the request gets 503 with `Retry-After`), and a check that waited past its request's deadline
///   is not run (503 too). Together with the per-address failure limit (``FailedLoginLimiter``) this bounds the CPU
///   a flood of wrong passwords can take.
/// - **Fair**: the threads take the waiting checks one address at a time, in turn, so an operator's login waits
///   for at most one check of each other address, however many a flood has queued. (scripts/auth-flood.sh, 64
///   clients on 8 addresses with the load generator on the same two cores: with one queue in arrival order a first
///   admin login took 5.5 s; in turns, 0.7 to 3.3 s, bcrypt getting little CPU at nice +10 beside the flood.)
/// - An address whose share of the queue is full is refused and keeps the token its attempt took, so it soon gets
///   429; only a full or closed pool gives the token back.
/// - **Stoppable**: ``close()`` answers every waiting check `unavailable` (which resumes its request) and joins the
///   threads; libmicrohttpd must not find a suspended connection when it stops.
package final class AuthenticationPool: Sendable {
    private struct State {
        /// The waiting checks of each address, oldest first.
        var queues: [PeerAddress: [PendingAuthentication]] = [:]
        /// The addresses with waiting checks, in the order they are served.
        var turns: [PeerAddress] = []
        var waiting = 0
        var closed = false
        var threads: [pthread_t] = []

        /// The next check: the oldest of the address whose turn it is; that address goes to the back.
        mutating func take() -> PendingAuthentication? {
            guard !self.turns.isEmpty else { return nil }
            let peer = self.turns.removeFirst()
            guard var queue = self.queues[peer], !queue.isEmpty else { return self.take() }
            let pending = queue.removeFirst()
            self.queues[peer] = queue.isEmpty ? nil : queue
            if !queue.isEmpty { self.turns.append(peer) }
            self.waiting -= 1
            return pending
        }
    }

    package let threadCount: Int
    package let capacity: Int
    /// The most checks one client address may have waiting.
    package let perAddress: Int
    private let authenticator: Authenticator
    private let clock: any ServerClock
    /// Runs before each check a thread takes: a test hook (``MetricsServer/interposeAuthentications(_:)``).
    private let beforeCheck: (@Sendable () -> Void)?
    private let state = Locked(State())

    package init(
        authenticator: Authenticator,
        clock: any ServerClock,
        threadCount: Int = 2,
        capacity: Int = 64,
        perAddress: Int = 4,
        beforeCheck: (@Sendable () -> Void)? = nil
    ) {
        self.beforeCheck = beforeCheck
        self.authenticator = authenticator
        self.clock = clock
        self.threadCount = max(1, threadCount)
        self.capacity = max(1, capacity)
        self.perAddress = max(1, perAddress)
    }

    /// Starts the threads; false if the system refused one (those started are stopped again).
    package func start() -> Bool {
        for _ in 0..<self.threadCount {
            guard let thread = startServerThread({ [self] in self.work() }) else {
                self.close()
                return false
            }
            self.state.withLock { $0.threads.append(thread) }
        }
        return true
    }

    /// What became of a ``submit(_:)``.
    package enum Submission: Equatable {
        /// The check waits for a thread.
        case queued
        /// Refused: the client's address has as many checks waiting as it may (its own doing).
        case addressFull
        /// Refused: the pool is full or closed (not the client's doing).
        case unavailable
    }

    /// Queues a check, unless the pool, or its client's address, has as many waiting as it may, or the pool is
    /// closed (the caller answers 503).
    package func submit(_ pending: PendingAuthentication) -> Submission {
        let peer = pending.job.peer
        return self.state.updateAndBroadcast { state in
            guard !state.closed, state.waiting < self.capacity else { return .unavailable }
            let queued = state.queues[peer]?.count ?? 0
            guard queued < self.perAddress else { return .addressFull }
            if queued == 0 { state.turns.append(peer) }
            state.queues[peer, default: []].append(pending)
            state.waiting += 1
            return .queued
        }
    }

    /// The next waiting check, without waiting for one (the threads' turn order; for tests too).
    package func takeWaiting() -> PendingAuthentication? {
        self.state.withLock { $0.take() }
    }

    /// Checks waiting for a thread.
    package var waitingCount: Int {
        self.state.withLock { $0.waiting }
    }

    /// Refuses new checks and answers the waiting ones `unavailable` (their requests get 503), without waiting for
    /// the checks in progress: the start of a graceful stop, so that those requests are answered within the grace
    /// period. Idempotent.
    package func drain() {
        let abandoned = self.state.updateAndBroadcast { state in
            state.closed = true
            var abandoned: [PendingAuthentication] = []
            while let pending = state.take() { abandoned.append(pending) }
            return abandoned
        }
        for pending in abandoned { pending.complete(.unavailable) }
    }

    /// ``drain()``, then joins the threads (a check in progress finishes first). Idempotent.
    package func close() {
        self.drain()
        let threads = self.state.withLock { state in
            defer { state.threads = [] }
            return state.threads
        }
        for thread in threads { pthread_join(thread, nil) }
    }

    private func work() {
        // Lower priority for this thread only: the event threads win the CPU from bcrypt.
        _ = ccrypt_lower_thread_priority(10)
        let workspace = CryptWorkspace()
        while let pending = self.next() {
            self.beforeCheck?()
            guard self.clock.nanoseconds() <= pending.deadline else {
                pending.complete(.unavailable)
                continue
            }
            let user = self.authenticator.verify(pending.job, workspace: workspace, now: self.clock.nanoseconds())
            pending.complete(user.map { .user($0) } ?? .refused)
        }
    }

    /// The next check, waiting for one; `nil` once closed.
    private func next() -> PendingAuthentication? {
        while true {
            _ = self.state.wait(until: { $0.closed || $0.waiting > 0 }, deadlineMonotonicNanoseconds: .max)
            let (pending, closed) = self.state.withLock { state -> (PendingAuthentication?, Bool) in
                if state.closed { return (nil, true) }
                return (state.take(), false)
            }
            if closed { return nil }
            if let pending { return pending }
        }
    }
}
