/// A response body produced over time, such as Server-Sent Events: an asynchronous sequence of byte chunks that
/// the transport sends as it gets them.
///
/// ```swift
/// let (stream, continuation) = AsyncStream.makeStream(of: [UInt8].self, bufferingPolicy: .bufferingNewest(64))
/// return .eventStream(ResponseChunks(stream))
/// ```
///
/// The contract between a body and its transport:
/// - **Pulling**: the transport asks for the next chunk only once the client has taken the previous one (within
///   the transport's own buffer), so a slow client slows the sequence rather than filling memory.
/// - **The end**: when the sequence returns `nil`, the transport ends the response.
/// - **Going away**: when the client goes, the transport stops, or a client leaves its bytes unread past the
///   transport's timeout, the task iterating the sequence is cancelled, and the sequence must then end (return
///   `nil`) promptly and let go of what it holds.
public struct ResponseChunks: AsyncSequence, Sendable {
    /// A chunk of the body.
    public typealias Element = [UInt8]
    /// A body never fails: it ends.
    public typealias Failure = Never

    private let make: @Sendable () -> Iterator

    /// The chunks of `base`.
    public init<Base: AsyncSequence & Sendable>(_ base: Base) where Base.Element == [UInt8], Base.Failure == Never {
        self.make = { Iterator(base.makeAsyncIterator()) }
    }

    /// Starts iterating; a transport iterates a body once.
    public func makeAsyncIterator() -> Iterator {
        self.make()
    }

    /// Iterates the chunks.
    public struct Iterator: AsyncIteratorProtocol {
        private let box: any IteratorBox

        init<Base: AsyncIteratorProtocol>(_ base: Base) where Base.Element == [UInt8], Base.Failure == Never {
            self.box = ConcreteIteratorBox(base)
        }

        /// The next chunk, or `nil` at the end.
        public mutating func next() async -> [UInt8]? {
            await self.box.next()
        }
    }
}

/// A class around the base iterator, so that ``ResponseChunks/Iterator`` can hold any kind of iterator.
private protocol IteratorBox: AnyObject {
    func next() async -> [UInt8]?
}

private final class ConcreteIteratorBox<Base: AsyncIteratorProtocol>: IteratorBox
where Base.Element == [UInt8], Base.Failure == Never {
    private var base: Base

    init(_ base: Base) {
        self.base = base
    }

    func next() async -> [UInt8]? {
        await self.base.next(isolation: nil)
    }
}
