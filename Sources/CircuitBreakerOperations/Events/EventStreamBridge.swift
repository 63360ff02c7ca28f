import CircuitBreakerInternals
import MetricsExporter

/// Feeds one event-stream client into the exporter's `ResponseStream`, which pushes: the hub wakes the bridge after
/// each publish, and the bridge hands the client's pending events to the stream.
///
/// The stream's byte capacity is the second bound of the client's queue: when the stream refuses bytes as `full`
/// (the client does not read), the client is dropped, counted, and its stream finished. Waking costs the
/// publishing thread (a breaker's, at a transition) one encode of the pending events and a copy into the stream,
/// never a wait. When the client goes away, the stream's termination handler forgets the subscription.
final class EventStreamBridge: Sendable {
    private let hub: EventHub
    private let stream: ResponseStream
    private let subscription = Locked<EventSubscription?>(nil)
    /// Keeps the chunks of one client in order when two threads publish at once.
    private let pumping = Lock()

    private init(hub: EventHub, stream: ResponseStream) {
        self.hub = hub
        self.stream = stream
    }

    /// A stream for a new client, replaying what follows `lastEventID`; `nil` when the hub has all the clients it
    /// allows.
    static func open(hub: EventHub, lastEventID: String?, capacity: Int) -> ResponseStream? {
        let stream = ResponseStream(capacity: capacity)
        let bridge = EventStreamBridge(hub: hub, stream: stream)
        guard
            let subscription = EventSubscription.connect(to: hub, lastEventID: lastEventID, wake: { bridge.pump() })
        else { return nil }
        bridge.subscription.withLock { $0 = subscription }
        // Weak: the stream keeps its handlers, and the bridge keeps the stream.
        stream.onTermination { [weak bridge] _ in
            bridge?.subscription.withLock { $0 }?.cancel()
        }
        bridge.pump()
        return stream
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
            switch stream.publish(chunk) {
            case .accepted:
                // The last words to a dropped client were sent: end its response.
                if subscription.isFinished { stream.finish() }
            case .full:
                hub.drop(client: subscription.client)
                subscription.cancel()
                stream.finish()
            default:
                subscription.cancel()
            }
        }
    }
}
