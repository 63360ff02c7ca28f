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

    @Test("a subscription's takes: events as they come, the dropped notice once it falls behind, then nothing")
    func subscriptionTakes() throws {
        let hub = hub(queue: 2)
        let subscription = try #require(EventSubscription.connect(to: hub, lastEventID: nil))
        #expect(subscription.take()?.isEmpty == true)
        publish(hub, 1)
        #expect(subscription.take()?.map(\.id) == [100])
        publish(hub, 3)
        #expect(subscription.take()?.map(\.kind) == [.dropped])
        #expect(subscription.take() == nil)
    }

    @Test("a replay that misses events starts with a gap notice naming the first event still available")
    func gapNotice() throws {
        let hub = hub(replay: 2)
        publish(hub, 5)
        let subscription = try #require(EventSubscription.connect(to: hub, lastEventID: "100"))
        let taken = try #require(subscription.take())
        #expect(taken.map(\.kind) == [.gap, .reset, .reset])
        #expect(taken.first?.id == 103)
    }

    @Test("a reader waiting for events wakes when one is published")
    func waitingReaderWakes() async throws {
        let hub = hub()
        let subscription = try #require(EventSubscription.connect(to: hub, lastEventID: nil))
        #expect(subscription.take()?.isEmpty == true)
        let reader = Task.detached {
            await subscription.waitForEvents()
            return subscription.take()?.map(\.id) ?? []
        }
        publish(hub, 1)
        #expect(await reader.value == [100])
    }

    @Test("a reader's wait ends when its task is cancelled, and the reader goes on being one")
    func waitEndsOnCancellation() async throws {
        let hub = hub()
        let subscription = try #require(EventSubscription.connect(to: hub, lastEventID: nil))
        let reader = Task.detached { await subscription.waitForEvents() }
        reader.cancel()
        await reader.value
        #expect(hub.connectedClients == 1)
    }

    @Test("the SSE chunks: the retry hint and replay first, events as SSE, a heartbeat after a quiet interval")
    func serverSentEventChunks() async throws {
        let hub = hub(queue: 2)
        let clock = ManualClock()
        let subscription = try #require(EventSubscription.connect(to: hub, lastEventID: nil))
        let chunks = ServerSentEventChunks(
            subscription: subscription,
            clock: .manual(clock),
            heartbeatInterval: .seconds(15)
        )
        var iterator = chunks.makeAsyncIterator()
        #expect(await iterator.next() == ServerSentEvents.preamble)
        publish(hub, 1)
        let text = String(decoding: await iterator.next() ?? [], as: UTF8.self)
        #expect(text.hasPrefix("id: 100\nevent: reset\ndata: {"))
        #expect(text.hasSuffix("}\n\n"))
        // Quiet: the iterator sleeps on the clock until the heartbeat is due, and not a moment before.
        let heartbeat = Task { var iterator = iterator; return await iterator.next() }
        await clock.waitForSleepers(1)
        clock.advance(by: .seconds(14))
        await clock.waitForSleepers(1)
        clock.advance(by: .seconds(1))
        #expect(await heartbeat.value == ServerSentEvents.heartbeat)
    }

    @Test("the SSE chunks end with the dropped notice for a reader that fell behind")
    func serverSentEventChunksDropped() async throws {
        let hub = hub(queue: 2)
        let subscription = try #require(EventSubscription.connect(to: hub, lastEventID: nil))
        let chunks = ServerSentEventChunks(subscription: subscription, clock: .system, heartbeatInterval: .seconds(60))
        var iterator = chunks.makeAsyncIterator()
        _ = await iterator.next()
        publish(hub, 3)
        #expect(String(decoding: await iterator.next() ?? [], as: UTF8.self).contains("event: dropped"))
        #expect(await iterator.next() == nil)
        #expect(hub.connectedClients == 0)
    }

    @Test("the public event stream: events in order, a cancelled task ends it, and the reader is forgotten")
    func eventStream() async throws {
        let fixture = Fixture()
        let payments = try fixture.breaker("payments")
        let reader = Task {
            var seen: [String] = []
            guard let events = fixture.operations.events(after: nil) else { return seen }
            for await event in events {
                seen.append("\(event.kind) \(event.breaker)")
                if event.kind == .reset { break }
            }
            return seen
        }
        try #require(await eventually { fixture.operations.hub.connectedClients == 1 })
        fail(payments, times: 2)
        payments.reset()
        let seen = await reader.value
        #expect(seen.first == "transition payments")
        #expect(seen.last == "reset payments")
        #expect(await eventually { fixture.operations.hub.connectedClients == 0 })
        let waiting = Task {
            guard let idle = fixture.operations.events(after: nil) else { return }
            for await _ in idle {}
        }
        try #require(await eventually { fixture.operations.hub.connectedClients == 1 })
        waiting.cancel()
        await waiting.value
        #expect(await eventually { fixture.operations.hub.connectedClients == 0 })
    }
}
