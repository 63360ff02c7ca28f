import CircuitBreakerInternals
import Synchronization

/// One client of the event stream: the bytes of `text/event-stream` to send it, chunk by chunk.
///
/// The transport (the exporter's streaming response) loops on ``nextChunk(waitingUntilMonotonicNanoseconds:)`` and
/// writes each chunk until it returns `nil`, then calls ``cancel()`` (also done when the subscription is released).
/// The first chunk holds the `retry:` hint, a `gap` event if the requested replay is incomplete, and the replayed
/// events; later chunks hold the events published since, or a heartbeat comment when none came before the deadline.
public final class EventSubscription: Sendable {
    private let hub: EventHub
    let client: Int
    private let prefix: [UInt8]
    private let started = Atomic<Bool>(false)
    private let finished = Atomic<Bool>(false)
    /// The id after the last event handed out (0 before any).
    private let nextID = Atomic<UInt64>(0)

    init(hub: EventHub, client: Int, gap: UInt64?) {
        self.hub = hub
        self.client = client
        var prefix = ServerSentEvents.preamble
        if let gap { ServerSentEvents.appendGap(firstAvailable: gap, to: &prefix) }
        self.prefix = prefix
    }

    /// A new client of `hub`, replaying what follows `lastEventID`; `nil` when the hub has all the clients it
    /// allows.
    static func connect(
        to hub: EventHub,
        lastEventID: String?,
        wake: (@Sendable () -> Void)? = nil
    ) -> EventSubscription? {
        hub.subscribe(lastEventID: lastEventID, wake: wake).map {
            EventSubscription(hub: hub, client: $0.client, gap: $0.gap)
        }
    }

    deinit {
        hub.cancel(client: client)
    }

    /// The next bytes to send: pending events, or — when none arrives before the monotonic clock reaches `deadline`
    /// — a heartbeat comment; `nil` once the stream is over (the client was dropped and told, or cancelled).
    public func nextChunk(waitingUntilMonotonicNanoseconds deadline: UInt64) -> [UInt8]? {
        if let chunk = poll() { return chunk.isEmpty ? nextAfterWaiting(deadline) : chunk }
        return nil
    }

    /// The pending bytes without waiting: events (or the first chunk), an empty array when there is nothing yet,
    /// `nil` once the stream is over.
    public func poll() -> [UInt8]? {
        if finished.load(ordering: .acquiring) { return nil }
        var chunk: [UInt8] = []
        if !started.exchange(true, ordering: .acquiringAndReleasing) { chunk = prefix }
        switch hub.take(client: client) {
        case .events(let events):
            for event in events { ServerSentEvents.append(event, to: &chunk) }
            if let last = events.last { nextID.store(last.id &+ 1, ordering: .relaxed) }
            return chunk
        case .dropped:
            finished.store(true, ordering: .releasing)
            ServerSentEvents.appendDropped(to: &chunk)
            return chunk
        case .gone:
            finished.store(true, ordering: .releasing)
            return chunk.isEmpty ? nil : chunk
        }
    }

    /// What to send instead of a first chunk too large for the transport: the `retry:` hint and a `gap` event
    /// whose first available id follows the events left out, so the client reloads the status and goes on from
    /// there rather than being dropped before its first byte.
    func gapInsteadOfReplay() -> [UInt8] {
        var chunk = ServerSentEvents.preamble
        ServerSentEvents.appendGap(firstAvailable: nextID.load(ordering: .relaxed), to: &chunk)
        return chunk
    }

    /// Whether the stream is over (dropped and told, or cancelled).
    var isFinished: Bool {
        finished.load(ordering: .acquiring)
    }

    /// Ends the stream: the client is forgotten and its next read returns `nil`.
    public func cancel() {
        finished.store(true, ordering: .releasing)
        hub.cancel(client: client)
    }

    private func nextAfterWaiting(_ deadline: UInt64) -> [UInt8]? {
        guard hub.wait(client: client, deadlineMonotonicNanoseconds: deadline) else {
            return finished.load(ordering: .acquiring) ? nil : ServerSentEvents.heartbeat
        }
        guard let chunk = poll() else { return nil }
        return chunk.isEmpty ? ServerSentEvents.heartbeat : chunk
    }
}
