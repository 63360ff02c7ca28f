import CircuitBreaker
import CircuitBreakerInternals
import Synchronization

/// One reader of the event stream: its place in the ``EventHub`` and the signal the hub gives after each publish.
///
/// Readers take the events published since their last look (``take()``), and wait for the next publish
/// (``waitForEvents()``) without holding a thread. The first take starts with a `gap` notice when the replay asked
/// for is incomplete. Releasing the subscription forgets the reader in the hub.
final class EventSubscription: Sendable {
    private let hub: EventHub
    let client: Int
    private let signal: WakeSignal
    /// The gap notice the first take starts with, if any.
    private let gap: UInt64?
    private let started = Atomic<Bool>(false)
    private let finished = Atomic<Bool>(false)

    private init(hub: EventHub, client: Int, gap: UInt64?, signal: WakeSignal) {
        self.hub = hub
        self.client = client
        self.gap = gap
        self.signal = signal
    }

    /// A new reader of `hub`, replaying what follows `lastEventID`; `nil` when the hub has all the readers it
    /// allows.
    static func connect(to hub: EventHub, lastEventID: String?) -> EventSubscription? {
        let signal = WakeSignal()
        return hub.subscribe(lastEventID: lastEventID, wake: { signal.signal() }).map {
            EventSubscription(hub: hub, client: $0.client, gap: $0.gap, signal: signal)
        }
    }

    deinit {
        hub.cancel(client: client)
    }

    /// The events published since the last take (the first take: the gap notice, then the replay), possibly none;
    /// a reader dropped for falling behind gets the `dropped` notice, and `nil` after that, as does a cancelled one.
    func take() -> [OperationsEvent]? {
        if finished.load(ordering: .acquiring) { return nil }
        var events: [OperationsEvent] = []
        if !started.exchange(true, ordering: .acquiringAndReleasing), let gap {
            events.append(.gap(firstAvailable: gap))
        }
        switch hub.take(client: client) {
        case .events(let taken):
            events += taken
            return events
        case .dropped:
            finished.store(true, ordering: .releasing)
            return events + [.dropped]
        case .gone:
            finished.store(true, ordering: .releasing)
            return events.isEmpty ? nil : events
        }
    }

    /// Returns after the next publish (at once if one came since the last wait), or when the task is cancelled.
    func waitForEvents() async {
        await signal.wait()
    }

    /// Whether the stream is over (dropped and told, or cancelled).
    var isFinished: Bool {
        finished.load(ordering: .acquiring)
    }

    /// Ends the stream: the reader is forgotten and its next take returns `nil`.
    func cancel() {
        finished.store(true, ordering: .releasing)
        hub.cancel(client: client)
        signal.signal()
    }
}
