/// The operations events as they happen, for transports and consumers other than `GET /api/v1/events`: a
/// WebSocket, a log shipper, a test. Made by ``BreakerOperations/events(after:)``.
///
/// ```swift
/// guard let events = operations.events(after: nil) else { return }   // nil: the stream has all its readers
/// for await event in events where event.kind == .transition {
///     print(event.breaker, event.transition!.to)
/// }
/// ```
/// - The sequence starts with the events after the id it was made with that the replay buffer still holds; when
///   some are missing it starts with a ``OperationsEvent/Kind/gap`` event instead.
/// - It never blocks a breaker: a reader that falls behind by more than
///   ``BreakerOperations/Configuration-swift.struct/clientQueueCapacity`` events gets a
///   ``OperationsEvent/Kind/dropped`` event, and the sequence ends.
/// - It ends when the iterating task is cancelled; the reader is forgotten then, or once the sequence and its
///   iterator are released.
/// - Iterate it once: each sequence is one reader, counted against
///   ``BreakerOperations/Configuration-swift.struct/maximumEventClients``.
public struct OperationsEventStream: AsyncSequence, Sendable {
    /// An event.
    public typealias Element = OperationsEvent
    /// The stream ends rather than fails.
    public typealias Failure = Never

    let subscription: EventSubscription

    /// Starts iterating.
    public func makeAsyncIterator() -> Iterator {
        Iterator(subscription: self.subscription)
    }

    /// Iterates the events.
    public struct Iterator: AsyncIteratorProtocol {
        let subscription: EventSubscription
        private var buffered: [OperationsEvent] = []
        private var index = 0

        init(subscription: EventSubscription) {
            self.subscription = subscription
        }

        /// The next event, waiting for it; `nil` at the end (dropped, or the task cancelled).
        public mutating func next() async -> OperationsEvent? {
            while index == buffered.count {
                if Task.isCancelled {
                    subscription.cancel()
                    return nil
                }
                guard let events = subscription.take() else { return nil }
                if events.isEmpty {
                    await subscription.waitForEvents()
                    continue
                }
                buffered = events
                index = 0
            }
            defer { index += 1 }
            return buffered[index]
        }
    }
}
