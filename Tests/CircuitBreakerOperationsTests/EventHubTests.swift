import CircuitBreaker
import CircuitBreakerInternals
import Foundation
import Testing

@testable import CircuitBreakerOperations

@Suite("Event stream: ids, replay, bounded queues, slow clients dropped")
struct EventHubTests {
    private func hub(replay: Int = 8, queue: Int = 4, clients: Int = 4) -> EventHub {
        EventHub(limits: .init(replayCapacity: replay, clientQueueCapacity: queue, maximumClients: clients), firstID: 100)
    }

    private func publish(_ hub: EventHub, _ count: Int) {
        for _ in 0..<count {
            hub.publish { OperationsEvent(id: $0, kind: .reset, breaker: "b", timestamp: 0) }
        }
    }

    private func ids(_ take: EventHub.Take) -> [UInt64] {
        if case .events(let events) = take { return events.map(\.id) }
        return []
    }

    @Test("a new client reads only events published after it subscribed, each with the next id")
    func liveEvents() throws {
        let hub = hub()
        publish(hub, 2)
        let client = try #require(hub.subscribe(lastEventID: nil))
        #expect(client.gap == nil)
        #expect(ids(hub.take(client: client.client)) == [])
        publish(hub, 2)
        #expect(ids(hub.take(client: client.client)) == [102, 103])
        #expect(hub.lastEventID == 103)
    }

    @Test("Last-Event-ID replays the buffered events after it; an evicted or foreign id gets a gap")
    func replay() throws {
        let hub = hub(replay: 8, queue: 8)
        publish(hub, 10)  // ids 100...109; 102...109 still buffered
        let resumed = try #require(hub.subscribe(lastEventID: "105"))
        #expect(resumed.gap == nil)
        #expect(ids(hub.take(client: resumed.client)) == [106, 107, 108, 109])
        let evicted = try #require(hub.subscribe(lastEventID: "100"))
        #expect(evicted.gap == 103)  // the queue bound (8 - 1) limits the replay
        #expect(ids(hub.take(client: evicted.client)) == Array(103...109))
        let foreign = try #require(hub.subscribe(lastEventID: "not-a-number"))
        #expect(foreign.gap == 110)
        #expect(ids(hub.take(client: foreign.client)) == [])
    }

    @Test("a client that falls behind its queue is dropped and counted; publishing goes on for the others")
    func slowClientDropped() throws {
        let hub = hub(queue: 4)
        let slow = try #require(hub.subscribe(lastEventID: nil))
        let fast = try #require(hub.subscribe(lastEventID: nil))
        for _ in 0..<3 {
            publish(hub, 2)
            _ = hub.take(client: fast.client)
        }
        #expect(hub.droppedClients == 1)
        guard case .dropped = hub.take(client: slow.client) else {
            Issue.record("the slow client was not told it was dropped")
            return
        }
        guard case .gone = hub.take(client: slow.client) else {
            Issue.record("the dropped client was not forgotten")
            return
        }
        publish(hub, 1)
        #expect(ids(hub.take(client: fast.client)) == [106])
        #expect(hub.connectedClients == 1)
    }

    @Test("no more than the maximum number of clients; a cancelled client frees its place")
    func clientLimit() throws {
        let hub = hub(clients: 1)
        let first = try #require(hub.subscribe(lastEventID: nil))
        #expect(hub.subscribe(lastEventID: nil) == nil)
        hub.cancel(client: first.client)
        #expect(hub.subscribe(lastEventID: nil) != nil)
    }

    @Test("a subscription's chunks: the retry hint, then events as SSE, a heartbeat when idle, the end when dropped")
    func subscriptionChunks() throws {
        let hub = hub(queue: 2)
        let subscribed = try #require(hub.subscribe(lastEventID: nil))
        let subscription = EventSubscription(hub: hub, client: subscribed.client, gap: nil)
        #expect(subscription.poll() == ServerSentEvents.preamble)
        // A deadline already passed: the read returns a heartbeat at once (no waiting in a unit test).
        #expect(subscription.nextChunk(waitingUntilMonotonicNanoseconds: 0) == ServerSentEvents.heartbeat)
        publish(hub, 1)
        let text = String(decoding: subscription.nextChunk(waitingUntilMonotonicNanoseconds: 0) ?? [], as: UTF8.self)
        #expect(text.hasPrefix("id: 100\nevent: reset\ndata: {"))
        #expect(text.hasSuffix("}\n\n"))
        publish(hub, 3)
        let last = String(decoding: subscription.poll() ?? [], as: UTF8.self)
        #expect(last.contains("event: dropped"))
        #expect(subscription.poll() == nil)
    }

    @Test("a reader waiting for events wakes when one is published")
    func waitingReaderWakes() async throws {
        let hub = hub()
        let subscribed = try #require(hub.subscribe(lastEventID: nil))
        let subscription = EventSubscription(hub: hub, client: subscribed.client, gap: nil)
        _ = subscription.poll()
        let reader = Task.detached {
            // Bounds a hang only: the reader returns as soon as the event is published.
            subscription.nextChunk(waitingUntilMonotonicNanoseconds: MonotonicTime.nanoseconds() + 60_000_000_000)
        }
        publish(hub, 1)
        let chunk = String(decoding: await reader.value ?? [], as: UTF8.self)
        #expect(chunk.contains("id: 100"))
    }
}
