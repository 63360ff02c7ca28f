import CircuitBreaker
import CircuitBreakerInternals
import MetricsExporter
import Synchronization

/// Feeds one event-stream client into the exporter's `ResponseStream`, which pushes: the hub wakes the bridge after
/// each publish, and the bridge hands the client's pending events to the stream.
///
/// - The stream's byte capacity is the second bound of the client's queue: when the stream refuses bytes as
///   `full` (the client does not read), the client is dropped, counted, and told so with the documented `dropped`
///   event (sent past the capacity, as the stream's last words).
/// - A replay that does not fit the stream at all (the first chunk) is replaced by a `gap` event: the client
///   reloads the status and goes on from there, instead of being dropped before its first byte.
/// - ``heartbeat(now:interval:)`` sends a comment line when nothing was sent for a heartbeat interval
///   (``StreamHeartbeat`` calls it), so proxies and clients see the connection alive, and a client that stopped
///   reading is found out by the exporter (it cuts a stream whose bytes its client leaves in the socket).
///
/// Waking costs the publishing thread (a breaker's, at a transition) one encode of the pending events and a copy
/// into the stream, never a wait. When the client goes away, the stream's termination handler forgets the
/// subscription.
final class EventStreamBridge: Sendable {
    private let hub: EventHub
    private let stream: ResponseStream
    private let clock: BreakerClock
    private let subscription = Locked<EventSubscription?>(nil)
    /// Keeps the chunks of one client in order when two threads publish at once.
    private let pumping = Lock()
    /// When bytes were last handed to the stream (the clock's coarse nanoseconds).
    private let lastSent: Atomic<Int64>
    /// Whether the first chunk (the replay) was handed over.
    private let started = Atomic<Bool>(false)

    private init(hub: EventHub, stream: ResponseStream, clock: BreakerClock) {
        self.hub = hub
        self.stream = stream
        self.clock = clock
        self.lastSent = Atomic(clock.coarseNanoseconds())
    }

    /// A stream for a new client, replaying what follows `lastEventID`, with heartbeats from `heartbeat`; `nil`
    /// when the hub has all the clients it allows.
    static func open(
        hub: EventHub,
        lastEventID: String?,
        capacity: Int,
        clock: BreakerClock,
        heartbeat: StreamHeartbeat
    ) -> ResponseStream? {
        let stream = ResponseStream(capacity: capacity)
        let bridge = EventStreamBridge(hub: hub, stream: stream, clock: clock)
        guard
            let subscription = EventSubscription.connect(to: hub, lastEventID: lastEventID, wake: { bridge.pump() })
        else { return nil }
        bridge.subscription.withLock { $0 = subscription }
        heartbeat.follow(bridge)
        // Weak: the stream keeps its handlers, and the bridge keeps the stream.
        // By identity: the bridge may be gone by then (a dropped client's subscription no longer holds it).
        let key = ObjectIdentifier(bridge)
        stream.onTermination { [weak bridge, weak heartbeat] _ in
            bridge?.subscription.withLock { $0 }?.cancel()
            heartbeat?.unfollow(key)
        }
        bridge.pump()
        return stream
    }

    /// Whether the client is gone or dropped (the heartbeat stops following it).
    var isOver: Bool {
        stream.termination != nil || (subscription.withLock { $0 }?.isFinished ?? true)
    }

    /// Moves the client's pending bytes into the stream.
    func pump() {
        guard let subscription = subscription.withLock({ $0 }) else { return }
        pumping.withLock {
            guard let chunk = subscription.poll() else {
                stream.finish()
                return
            }
            guard !chunk.isEmpty else { return }
            send(chunk, subscription)
        }
    }

    /// Sends a heartbeat comment if nothing was sent for `interval` nanoseconds as of `now`.
    func heartbeat(now: Int64, interval: Int64) {
        guard let subscription = subscription.withLock({ $0 }) else { return }
        pumping.withLock {
            guard now &- lastSent.load(ordering: .relaxed) >= interval, !subscription.isFinished else { return }
            send(ServerSentEvents.heartbeat, subscription)
        }
    }

    /// Hands `chunk` to the stream (with the pumping lock held).
    private func send(_ chunk: [UInt8], _ subscription: EventSubscription) {
        switch stream.publish(chunk) {
        case .accepted:
            started.store(true, ordering: .relaxed)
            lastSent.store(clock.coarseNanoseconds(), ordering: .relaxed)
            // The last words to a dropped client were sent: end its response.
            if subscription.isFinished { stream.finish() }
        case .full where !started.load(ordering: .relaxed):
            // The replay alone does not fit: a gap event instead, and the client goes on from now.
            started.store(true, ordering: .relaxed)
            if stream.publish(subscription.gapInsteadOfReplay()) == .accepted {
                lastSent.store(clock.coarseNanoseconds(), ordering: .relaxed)
            } else {
                drop(subscription)
            }
        case .full:
            drop(subscription)
        default:
            subscription.cancel()
        }
    }

    /// The client does not read: drop it, count it, and tell it so as the stream's last words.
    private func drop(_ subscription: EventSubscription) {
        hub.drop(client: subscription.client)
        subscription.cancel()
        var lastWords: [UInt8] = []
        ServerSentEvents.appendDropped(to: &lastWords)
        stream.finish(sending: lastWords)
    }
}

/// Sends heartbeats to the event-stream clients of one ``BreakerOperations``: every half
/// ``BreakerOperations/Configuration-swift.struct/heartbeatInterval``, on the operations' clock (a manual clock in
/// tests), each client to which nothing was sent for a whole interval gets a comment line. The loop runs while
/// some client follows the stream: it starts with the first one and is cancelled when the last one goes (so a
/// loop asleep on a manual clock that nobody advances any more does not outlive its clients).
final class StreamHeartbeat: Sendable {
    private struct State {
        var bridges: [ObjectIdentifier: WeakBridge] = [:]
        var task: Task<Void, Never>?
    }

    private struct WeakBridge: @unchecked Sendable {
        // Safety (@unchecked Sendable): a weak reference to a Sendable class, only read and written under the
        // heartbeat's lock.
        weak var bridge: EventStreamBridge?
    }

    let interval: Duration
    private let clock: BreakerClock
    private let state = Locked(State())

    init(interval: Duration, clock: BreakerClock) {
        self.interval = max(interval, .milliseconds(10))
        self.clock = clock
    }

    /// Follows `bridge` until its client is over (``unfollow(_:)``); starts the loop if it is not running.
    func follow(_ bridge: EventStreamBridge) {
        state.withLock { state in
            state.bridges[ObjectIdentifier(bridge)] = WeakBridge(bridge: bridge)
            guard state.task == nil else { return }
            // Read now, not in the task: ticks count from here even if the clock moves before the task runs.
            let start = clock.coarseNanoseconds()
            state.task = Task.detached { [weak self] in
                await self?.loop(from: start)
            }
        }
    }

    /// Stops following the bridge `key` names; cancels the loop after the last one.
    func unfollow(_ key: ObjectIdentifier) {
        let task = state.withLock { state -> Task<Void, Never>? in
            state.bridges[key] = nil
            return Self.stopIfIdle(&state)
        }
        task?.cancel()
    }

    /// With no bridge left, the loop's task, taken out of the state for the caller to cancel.
    private static func stopIfIdle(_ state: inout State) -> Task<Void, Never>? {
        guard state.bridges.isEmpty else { return nil }
        defer { state.task = nil }
        return state.task
    }

    /// Clients followed now.
    var followed: Int {
        state.withLock { $0.bridges.count }
    }

    private func loop(from start: Int64) async {
        let half = max(interval.nanoseconds / 2, 1)
        var tick = start
        while !Task.isCancelled {
            tick &+= half
            let now = clock.coarseNanoseconds()
            // After a long jump of the clock, one beat is enough: go on from now.
            if now &- tick > interval.nanoseconds { tick = now }
            if tick > now {
                // Sleeps on the operations' clock: a manual clock wakes it when a test advances it.
                do {
                    try await clock.sleep(for: .nanoseconds(tick &- now))
                } catch {
                    return
                }
            }
            beat()
        }
    }

    private func beat() {
        let (bridges, idle) = state.withLock { state in
            state.bridges = state.bridges.filter { !($0.value.bridge?.isOver ?? true) }
            return (state.bridges.values.compactMap(\.bridge), Self.stopIfIdle(&state))
        }
        idle?.cancel()
        let now = clock.coarseNanoseconds()
        for bridge in bridges { bridge.heartbeat(now: now, interval: interval.nanoseconds) }
    }
}
