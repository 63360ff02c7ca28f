import CircuitBreakerInternals
import CMicroHTTPD

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
/// - **Bounded**: at most ``capacity`` checks wait; more are refused at once (the request gets 503 with
///   `Retry-After`), and a check that waited past its request's deadline is not run (503 too). Together with the
///   per-address failure limit (``FailedLoginLimiter``) this bounds the CPU a flood of wrong passwords can take.
/// - **Stoppable**: ``close()`` answers every waiting check `unavailable` (which resumes its request) and joins the
///   threads; libmicrohttpd must not find a suspended connection when it stops.
final class AuthenticationPool: Sendable {
    private struct State {
        var queue: [PendingAuthentication] = []
        var head = 0
        var closed = false
        var threads: [pthread_t] = []

        var waiting: Int { self.queue.count - self.head }
    }

    let threadCount: Int
    let capacity: Int
    private let authenticator: Authenticator
    private let clock: any ServerClock
    private let state = Locked(State())

    init(authenticator: Authenticator, clock: any ServerClock, threadCount: Int = 2, capacity: Int = 64) {
        self.authenticator = authenticator
        self.clock = clock
        self.threadCount = max(1, threadCount)
        self.capacity = max(1, capacity)
    }

    /// Starts the threads; false if the system refused one (those started are stopped again).
    func start() -> Bool {
        for _ in 0..<self.threadCount {
            guard let thread = startServerThread({ [self] in self.work() }) else {
                self.close()
                return false
            }
            self.state.withLock { $0.threads.append(thread) }
        }
        return true
    }

    /// Queues a check; false when the pool is full or closed (the caller answers 503).
    func submit(_ pending: PendingAuthentication) -> Bool {
        self.state.updateAndBroadcast { state in
            guard !state.closed, state.waiting < self.capacity else { return false }
            state.queue.append(pending)
            return true
        }
    }

    /// Checks waiting for a thread.
    var waitingCount: Int {
        self.state.withLock { $0.waiting }
    }

    /// Refuses new checks, answers the waiting ones `unavailable`, and joins the threads (a check in progress
    /// finishes first). Idempotent.
    func close() {
        let (abandoned, threads) = self.state.updateAndBroadcast { state in
            state.closed = true
            let abandoned = Array(state.queue[state.head...])
            state.queue = []
            state.head = 0
            defer { state.threads = [] }
            return (abandoned, state.threads)
        }
        for pending in abandoned { pending.complete(.unavailable) }
        for thread in threads { pthread_join(thread, nil) }
    }

    private func work() {
        // Lower priority for this thread only: the event threads win the CPU from bcrypt.
        _ = cmhd_lower_thread_priority(10)
        let workspace = CryptWorkspace()
        while let pending = self.next() {
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
                guard state.waiting > 0 else { return (nil, false) }
                let pending = state.queue[state.head]
                state.head += 1
                if state.head >= 64, state.head * 2 >= state.queue.count {
                    state.queue.removeFirst(state.head)
                    state.head = 0
                }
                return (pending, false)
            }
            if closed { return nil }
            if let pending { return pending }
        }
    }
}
