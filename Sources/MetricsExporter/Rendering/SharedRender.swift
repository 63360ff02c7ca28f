import CircuitBreakerInternals
import CMicroHTTPD

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Single-flight rendering of the exposition, shared by concurrent scrapes and never stale.
///
/// The contract is that a scrape is rendered from the source after it arrived, never served from a cache. A request
/// may therefore use a render only if that render *started* after the request arrived (when its head was complete).
/// Renders are numbered as they start; on arrival a request takes a ticket, the number of renders started so far
/// (``ticket()``), and may use render `n` only if `n > ticket`:
/// - if the latest finished render of its encoding is newer than its ticket, the request uses it at once (a render
///   that started and finished while the request was being read; the latest render is kept only until the next one
///   starts, when no request can use it any more, so that it holds no ``RenderBudget`` permit for nothing);
/// - otherwise the request's connection is suspended (`MHD_suspend_connection`, so no libmicrohttpd worker thread
///   blocks) and queued; the render thread starts render `n` and resumes every queued request with a ticket below
///   `n` with that render; requests that arrived during the render (ticket `n` or more) stay queued for the next one.
///
/// Numbers rather than times: the order is exact whatever the clock's resolution, and it holds with a test clock
/// that never moves.
///
/// So however many scrapers arrive together, each render is shared by all of them. Requests wait in a slot per
/// exposition format and encoding (``slot(format:gzip:)``); a round renders each wanted format once, with one
/// source call serving both its plain and gzip bodies. A queued request waits at most until its deadline (half the
/// request timeout, on the server's
/// ``ServerClock``), then gets 503.
///
/// The state lives under the package's ``Lock`` and its condition. Locks never nest: libmicrohttpd is called only
/// with the lock released.
///
/// `@unchecked Sendable`: the mutable fields (`closed`, `thread`, `rendersStarted`, `latest`, `waiters`, the
/// ``PendingScrape/outcome``s) are only touched with `lock` held; `lock` itself is immutable and thread-safe.
final class SharedRender: @unchecked Sendable {
    /// Renders render number `number` into the wanted slots; the result has one entry per slot (`nil` where not
    /// wanted, or where rendering failed).
    typealias Render = @Sendable (_ wanted: [Bool], _ number: UInt64) -> [RenderedBody?]

    /// The number of slots: every format, plain and gzip.
    static let slotCount = ExpositionFormat.Kind.allCases.count * 2

    /// The slot of a format and an encoding.
    static func slot(format: ExpositionFormat, gzip: Bool) -> Int {
        format.kind.rawValue * 2 + (gzip ? 1 : 0)
    }

    /// The format and encoding of a slot.
    static func format(ofSlot slot: Int) -> (format: ExpositionFormat, gzip: Bool) {
        (ExpositionFormat(kind: ExpositionFormat.Kind(rawValue: slot / 2) ?? .text), slot % 2 == 1)
    }

    /// What a queued request gets.
    enum Outcome {
        /// A render that started at or after the request arrived.
        case body(RenderedBody)
        /// The render failed (out of memory or a zlib failure).
        case failed
        /// The request waited past its deadline.
        case timedOut
        /// The server is stopping.
        case unavailable
    }

    /// Guards the mutable fields; its condition wakes the render thread.
    private let lock = Lock()
    private var closed = false
    private var threadRunning = false
    /// Whether the render thread is inside a render.
    private var rendering = false
    private var thread = pthread_t()
    /// How many renders have started; render `n` is the `n`-th.
    private var rendersStarted: UInt64 = 0
    /// The latest successful render per slot, until the next render starts.
    private var latest = [RenderedBody?](repeating: nil, count: SharedRender.slotCount)
    private var waiters = [[PendingScrape]](repeating: [], count: SharedRender.slotCount)

    // MARK: - Requests (libmicrohttpd worker threads)

    /// The ticket of a request that arrives now: the number of renders started so far. Only renders with a higher
    /// number started after it.
    func ticket() -> UInt64 {
        self.lock.withLock { self.rendersStarted }
    }

    /// The latest render of the slot if it started after the request with this ticket arrived.
    func fresh(slot: Int, ticket: UInt64) -> RenderedBody? {
        self.lock.lock()
        defer { self.lock.unlock() }
        guard let latest = self.latest[slot], latest.renderNumber > ticket else { return nil }
        return latest
    }

    /// The number of requests waiting for a render (a test hook).
    var waitingCount: Int {
        self.lock.withLock { self.waiters.reduce(0) { $0 + $1.count } }
    }

    /// Queues a request whose connection the caller has just suspended. Returns false when the request is not
    /// queued but already has its outcome (a fresh render appeared meanwhile, or the server is stopping): the
    /// caller must then resume the connection itself.
    func enqueue(_ pending: PendingScrape) -> Bool {
        self.lock.lock()
        defer { self.lock.unlock() }
        let slot = pending.slot
        if self.closed {
            pending.outcome = .unavailable
            return false
        }
        if let latest = self.latest[slot], latest.renderNumber > pending.ticket {
            pending.outcome = .body(latest)
            return false
        }
        self.waiters[slot].append(pending)
        self.lock.signal()
        return true
    }

    /// The outcome of a resumed request.
    func outcome(of pending: PendingScrape) -> Outcome? {
        self.lock.lock()
        defer { self.lock.unlock() }
        return pending.outcome
    }

    /// Resumes, with 503, every queued request whose deadline has passed. Called by the deadline reaper.
    func expire(now: UInt64) {
        self.lock.lock()
        var expired: [PendingScrape] = []
        for slot in self.waiters.indices where self.waiters[slot].contains(where: { $0.deadline <= now }) {
            self.waiters[slot].removeAll { pending in
                guard pending.deadline <= now else { return false }
                pending.outcome = .timedOut
                expired.append(pending)
                return true
            }
        }
        self.lock.unlock()
        for pending in expired { MHD_resume_connection(pending.connection) }
    }

    // MARK: - The render thread

    /// Starts the render thread, which calls `render`; false if the system refused to create one. The closure is
    /// held by the thread only (not by this object), so it may capture the object that owns this one.
    func start(render: @escaping Render) -> Bool {
        guard let thread = startServerThread({ [self] in self.loop(render) }) else { return false }
        self.lock.lock()
        self.thread = thread
        self.threadRunning = true
        self.lock.unlock()
        return true
    }

    /// Refuses new requests, resumes every queued one with 503, and lets the render thread end. Must run before
    /// `MHD_stop_daemon`, which must not find suspended connections.
    ///
    /// A thread between renders is joined (it ends at once). A render in progress is abandoned: the thread is
    /// detached and ends when the source returns, without touching a connection (nothing is queued any more), so
    /// a source that hangs cannot hold the server's shutdown (or the process's exit) hostage. The closure it runs
    /// keeps what it uses alive until then.
    func close() {
        self.lock.lock()
        self.closed = true
        var queued: [PendingScrape] = []
        for slot in self.waiters.indices {
            for pending in self.waiters[slot] {
                pending.outcome = .unavailable
                queued.append(pending)
            }
            self.waiters[slot].removeAll()
        }
        let thread = self.threadRunning ? self.thread : nil
        let abandoned = self.rendering
        self.threadRunning = false
        let latest = self.latest
        self.latest = [RenderedBody?](repeating: nil, count: Self.slotCount)
        self.lock.broadcast()
        self.lock.unlock()
        for pending in queued { MHD_resume_connection(pending.connection) }
        withExtendedLifetime(latest) {}
        if let thread {
            if abandoned { pthread_detach(thread) } else { pthread_join(thread, nil) }
        }
    }

    private func loop(_ render: Render) {
        var wanted = [Bool](repeating: false, count: Self.slotCount)
        self.lock.lock()
        while !self.closed {
            for slot in wanted.indices { wanted[slot] = !self.waiters[slot].isEmpty }
            guard wanted.contains(true) else {
                self.lock.wait()
                continue
            }
            self.rendersStarted += 1
            let number = self.rendersStarted
            self.rendering = true
            // A request arriving from now on has a ticket of at least `number`: the latest bodies can serve none of
            // them. (One already being read could have used them; it waits for this render instead.)
            let superseded = self.latest
            self.latest = [RenderedBody?](repeating: nil, count: Self.slotCount)
            self.lock.unlock()
            withExtendedLifetime(superseded) {}

            let rendered = render(wanted, number)

            self.lock.lock()
            self.rendering = false
            if self.closed {
                // Abandoned by `close`: nothing waits for this render any more.
                self.lock.unlock()
                withExtendedLifetime(rendered) {}
                return
            }
            var ready: [PendingScrape] = []
            for slot in wanted.indices where wanted[slot] {
                let body = slot < rendered.count ? rendered[slot] : nil
                if let body { self.latest[slot] = body }
                self.waiters[slot].removeAll { pending in
                    guard pending.ticket < number else { return false }
                    pending.outcome = body.map(Outcome.body) ?? .failed
                    ready.append(pending)
                    return true
                }
            }
            self.lock.unlock()
            // Outside the lock: resume the connections, and let go of the render's bodies (a body's deinit returns
            // its buffer to the pool and its permit to the budget).
            for pending in ready { MHD_resume_connection(pending.connection) }
            withExtendedLifetime(rendered) {}
            self.lock.lock()
        }
        self.lock.unlock()
    }
}

/// A `/metrics` request waiting, suspended, for a render; its libmicrohttpd request state while it waits.
///
/// `@unchecked Sendable`: the `let`s are immutable; ``outcome`` is only read and written with the lock of the
/// ``SharedRender`` that queued the request held. The connection is suspended while the request is queued, so
/// libmicrohttpd cannot free it before it is resumed, which happens exactly once, by whoever removed the request
/// from the queue.
final class PendingScrape: @unchecked Sendable {
    let connection: OpaquePointer
    /// The request's ticket (see ``SharedRender/ticket()``).
    let ticket: UInt64
    /// When the request stops waiting, on the server's clock.
    let deadline: UInt64
    /// The format and encoding wanted (see ``SharedRender/slot(format:gzip:)``).
    let slot: Int
    var outcome: SharedRender.Outcome?

    init(connection: OpaquePointer, ticket: UInt64, deadline: UInt64, slot: Int) {
        self.connection = connection
        self.ticket = ticket
        self.deadline = deadline
        self.slot = slot
    }
}
