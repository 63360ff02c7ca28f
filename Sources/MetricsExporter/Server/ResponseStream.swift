import CircuitBreakerInternals

/// The server's buffer between a response's ``PortableRoutes/ResponseChunks`` and libmicrohttpd: a producer (the
/// task that iterates the chunks, see ``ServerContext/pump(_:into:)``) publishes bytes, the server sends them as the
/// client takes them.
///
/// - **Memory** is bounded: at most ``capacity`` bytes wait in the stream. ``write(_:)`` suspends the producer
///   while the stream is full (so the next chunk is asked for only once the client has taken enough), and
///   ``publish(_:)`` refuses what would go beyond it with ``PublishResult/full``.
/// - **Pulling**: the server asks for bytes whenever the client has taken the previous ones. When the stream is
///   empty the connection is suspended (no thread waits), and the next publish resumes it.
/// - **Deadlines**: while the server waits for the producer, no deadline runs, so a healthy quiet stream lives as
///   long as the producer wants. While bytes wait for the client, the client must take them within the server's
///   request timeout, or it is cut like any slow reader (and ``onTermination(_:)`` reports
///   ``Termination/timedOut``).
/// - **The end**: ``finish()`` sends what is buffered, then ends the response. The producer learns when the
///   stream is over, whatever the reason (``Termination``): through ``onTermination(_:)``, ``termination``, and
///   ``PublishResult/closed``. A client that goes away while the stream is quiet is noticed by the server within
///   a fraction of the request timeout.
///
/// Thread-safe: publish from any thread.
final class ResponseStream: Sendable {
    /// What became of a ``ResponseStream/publish(_:)-(String)``.
    struct PublishResult: Hashable, Sendable, CustomStringConvertible {
        private enum Kind: Hashable, Sendable {
            case accepted
            case full
            case closed
        }

        private let kind: Kind

        private init(_ kind: Kind) {
            self.kind = kind
        }

        /// The bytes are queued for the client.
        static let accepted = PublishResult(.accepted)
        /// Refused: the bytes would exceed the stream's capacity (the client is not keeping up).
        static let full = PublishResult(.full)
        /// Refused: the stream is finished or over.
        static let closed = PublishResult(.closed)

        /// `accepted`, `full` or `closed`.
        var description: String {
            switch self.kind {
            case .accepted: "accepted"
            case .full: "full"
            case .closed: "closed"
            }
        }
    }

    /// Why a stream ended.
    struct Termination: Hashable, Sendable, CustomStringConvertible {
        private enum Kind: Hashable, Sendable {
            case finished
            case clientGone
            case timedOut
            case serverStopping
        }

        private let kind: Kind

        private init(_ kind: Kind) {
            self.kind = kind
        }

        /// The producer finished, and the client received everything.
        static let finished = Termination(.finished)
        /// The client closed the connection (or it broke).
        static let clientGone = Termination(.clientGone)
        /// The client did not take the bytes within the request timeout, and was cut.
        static let timedOut = Termination(.timedOut)
        /// The server is stopping.
        static let serverStopping = Termination(.serverStopping)

        /// `finished`, `clientGone`, `timedOut` or `serverStopping`.
        var description: String {
            switch self.kind {
            case .finished: "finished"
            case .clientGone: "clientGone"
            case .timedOut: "timedOut"
            case .serverStopping: "serverStopping"
            }
        }
    }

    /// What the server gets when it pulls.
    enum Pull: Equatable {
        /// This many bytes were copied.
        case bytes(Int)
        /// Nothing to send yet.
        case empty
        /// Finished and drained: end the response.
        case end
        /// Cut by the server: end the response with an error (the connection closes).
        case abort
    }

    private struct State {
        var buffer: [UInt8] = []
        var readIndex = 0
        var finished = false
        /// Set when the server cuts the stream; the reason it will report.
        var abortReason: Termination?
        /// Set when the server stops and asked the stream to end.
        var stopping = false
        /// The connection is suspended, waiting for a publish; `wake` resumes it.
        var parked = false
        var wake: (@Sendable () -> Void)?
        var termination: Termination?
        var handlers: [@Sendable (Termination) -> Void] = []
        /// How many pulls handed bytes to the server.
        var handOffs = 0
        /// A producer suspended in ``ResponseStream/write(_:)`` until there is room (or the stream is over).
        var roomWaiter: CheckedContinuation<Void, Never>?

        var available: Int { self.buffer.count - self.readIndex }
    }

    /// The most bytes that may wait in the stream.
    let capacity: Int
    private let state = Locked(State())

    /// A stream that holds at most `capacity` bytes (at least 1) waiting for the client.
    init(capacity: Int = 64 * 1024) {
        self.capacity = max(1, capacity)
    }

    /// Queues bytes for the client, all or nothing.
    @discardableResult
    func publish(_ bytes: some Collection<UInt8>) -> PublishResult {
        let (result, wake) = self.state.withLock { state -> (PublishResult, (@Sendable () -> Void)?) in
            guard state.termination == nil, !state.finished, state.abortReason == nil else { return (.closed, nil) }
            guard state.available + bytes.count <= self.capacity else { return (.full, nil) }
            state.buffer.append(contentsOf: bytes)
            return (.accepted, Self.unpark(&state))
        }
        wake?()
        return result
    }

    /// Queues `bytes` for the client, waiting while the stream is full; returns false once the stream is finished
    /// or over (nothing is queued then). A chunk larger than ``capacity`` is queued once the stream is empty, so
    /// one large chunk can never wedge its producer. Only one producer may wait at a time.
    func write(_ bytes: [UInt8]) async -> Bool {
        while true {
            let (result, wake) = self.state.withLock { state -> (PublishResult?, (@Sendable () -> Void)?) in
                guard state.termination == nil, !state.finished, state.abortReason == nil else { return (.closed, nil) }
                guard state.available == 0 || state.available + bytes.count <= self.capacity else { return (nil, nil) }
                state.buffer.append(contentsOf: bytes)
                return (.accepted, Self.unpark(&state))
            }
            wake?()
            if let result { return result == .accepted }
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let ready = self.state.withLock { state -> Bool in
                    let over = state.termination != nil || state.finished || state.abortReason != nil
                    guard !over, state.available != 0, state.available + bytes.count > self.capacity else {
                        return true
                    }
                    state.roomWaiter = continuation
                    return false
                }
                if ready { continuation.resume() }
            }
        }
    }

    /// Queues text (UTF-8) for the client, all or nothing.
    @discardableResult
    func publish(_ text: String) -> PublishResult {
        self.publish(Array(text.utf8))
    }

    /// Ends the stream once the client has received what is queued. Later publishes are refused.
    func finish() {
        let wake = self.state.withLock { state -> (@Sendable () -> Void)? in
            state.finished = true
            return Self.unpark(&state)
        }
        wake?()
    }

    /// Why the stream ended, or `nil` while it runs.
    var termination: Termination? {
        self.state.withLock { $0.termination }
    }

    /// Calls `handler` once when the stream ends (at once if it has ended), on the thread that ends it.
    func onTermination(_ handler: @escaping @Sendable (Termination) -> Void) {
        let ended = self.state.withLock { state -> Termination? in
            if let termination = state.termination { return termination }
            state.handlers.append(handler)
            return nil
        }
        if let ended { handler(ended) }
    }

    // MARK: - The server's side

    /// Copies up to `buffer.count` queued bytes into `buffer`.
    func pull(into buffer: UnsafeMutableRawBufferPointer) -> Pull {
        self.state.withLock { state in
            if state.abortReason != nil || state.termination != nil { return .abort }
            let count = min(state.available, buffer.count)
            if count > 0 {
                let start = state.readIndex
                state.buffer.withUnsafeBytes { source in
                    guard let from = source.baseAddress, let to = buffer.baseAddress else { return }
                    to.copyMemory(from: from + start, byteCount: count)
                }
                state.readIndex += count
                if state.readIndex == state.buffer.count {
                    state.buffer.removeAll(keepingCapacity: true)
                    state.readIndex = 0
                } else if state.readIndex >= 4_096, state.readIndex * 2 >= state.buffer.count {
                    state.buffer.removeFirst(state.readIndex)
                    state.readIndex = 0
                }
                state.handOffs += 1
                if let waiter = state.roomWaiter {
                    state.roomWaiter = nil
                    waiter.resume()
                }
                return .bytes(count)
            }
            return state.finished || state.stopping ? .end : .empty
        }
    }

    /// Called after the server suspended the connection on ``Pull/empty``: records `wake` and returns true, or
    /// returns false when there is something to do already (bytes, the end, a cut), and the caller resumes.
    func park(wake: @escaping @Sendable () -> Void) -> Bool {
        self.state.withLock { state in
            guard state.available == 0, !state.finished, !state.stopping, state.abortReason == nil,
                state.termination == nil
            else { return false }
            state.parked = true
            state.wake = wake
            return true
        }
    }

    /// The server cuts the stream: the next pull aborts the response, and `reason` is reported.
    func abort(_ reason: Termination) {
        let wake = self.state.withLock { state -> (@Sendable () -> Void)? in
            if state.abortReason == nil { state.abortReason = reason }
            state.roomWaiter?.resume()
            state.roomWaiter = nil
            return Self.unpark(&state)
        }
        wake?()
    }

    /// The server is stopping: send what is queued, then end; reported as ``Termination/serverStopping``.
    func stop() {
        let wake = self.state.withLock { state -> (@Sendable () -> Void)? in
            state.stopping = true
            return Self.unpark(&state)
        }
        wake?()
    }

    /// The response is over (libmicrohttpd completed or dropped it): settles the reason and tells the producer.
    /// `completed` is whether libmicrohttpd sent the whole response.
    func terminate(completed: Bool) {
        let (reason, handlers) = self.state.withLock { state -> (Termination?, [@Sendable (Termination) -> Void]) in
            guard state.termination == nil else { return (nil, []) }
            let reason: Termination =
                state.abortReason ?? (state.stopping ? .serverStopping : completed ? .finished : .clientGone)
            state.termination = reason
            state.buffer = []
            state.readIndex = 0
            state.wake = nil
            state.parked = false
            state.roomWaiter?.resume()
            state.roomWaiter = nil
            defer { state.handlers = [] }
            return (reason, state.handlers)
        }
        if let reason {
            for handler in handlers { handler(reason) }
        }
    }

    /// How many pulls handed bytes to the server so far.
    var handOffs: Int {
        self.state.withLock { $0.handOffs }
    }

    /// Whether a producer waits in ``write(_:)`` for room.
    var isProducerWaiting: Bool {
        self.state.withLock { $0.roomWaiter != nil }
    }

    /// Whether the server's connection is suspended waiting for the producer.
    var isParked: Bool {
        self.state.withLock { $0.parked }
    }

    private static func unpark(_ state: inout State) -> (@Sendable () -> Void)? {
        guard state.parked else { return nil }
        state.parked = false
        defer { state.wake = nil }
        return state.wake
    }
}
