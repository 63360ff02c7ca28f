import CMicroHTTPD

/// The server's end of a ``ResponseStream``: libmicrohttpd's content-reader callback pulls through it.
///
/// When the stream is empty, the connection is suspended (no thread waits) and the stream keeps a way to resume it;
/// the next publish, ``ResponseStream/finish()``, or a cut resumes it. Deadlines follow who is waiting: while bytes
/// wait for the client, the connection's deadline is the request timeout from the moment they were handed over;
/// while the server waits for the producer, there is none, and the reaper instead checks that the client is still
/// there (see ``ConnectionTable``).
///
/// `@unchecked Sendable`: the fields are immutable. `connection` is used for `MHD_suspend_connection` on
/// libmicrohttpd's own thread (inside the reader callback), and for `MHD_resume_connection` only by the one party
/// that took the stream's parked flag (under the stream's lock), while the connection is suspended; libmicrohttpd
/// does not free a suspended connection, so the pointer is valid whenever it is used.
final class StreamConnection: @unchecked Sendable {
    let stream: ResponseStream
    let connection: OpaquePointer
    /// The connection's key in ``ConnectionTable``.
    let key: UInt
    /// The client's address, for the per-address stream limit.
    let peer: PeerAddress
    private let context: ServerContext

    init(stream: ResponseStream, connection: OpaquePointer, key: UInt, peer: PeerAddress, context: ServerContext) {
        self.stream = stream
        self.connection = connection
        self.key = key
        self.peer = peer
        self.context = context
    }

    /// libmicrohttpd wants bytes: the count copied, 0 after suspending, or the end-of-stream / error markers.
    func read(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        switch self.stream.pull(into: buffer) {
        case .bytes(let count):
            self.context.connections.arm(
                self.key,
                deadline: self.context.clock.nanoseconds() &+ self.context.requestTimeout,
                probe: false
            )
            return count
        case .end:
            return -1  // MHD_CONTENT_READER_END_OF_STREAM
        case .abort:
            return -2  // MHD_CONTENT_READER_END_WITH_ERROR
        case .empty:
            // The client has everything; the server waits for the producer: no deadline, but watch the client.
            self.context.connections.arm(self.key, deadline: .max, probe: true)
            MHD_suspend_connection(self.connection)
            let suspended = SuspendedConnection(pointer: self.connection)
            if !self.stream.park(wake: { MHD_resume_connection(suspended.pointer) }) {
                MHD_resume_connection(self.connection)
            }
            return 0
        }
    }
}

/// A suspended connection, to be resumed once from another thread.
///
/// `@unchecked Sendable`: see ``StreamConnection`` and ``PendingAuthentication``; the pointer is only passed to
/// `MHD_resume_connection`, once, by the one party that took the parked wake-up, while the connection is suspended
/// (libmicrohttpd does not free a suspended connection).
struct SuspendedConnection: @unchecked Sendable {
    let pointer: OpaquePointer
}
