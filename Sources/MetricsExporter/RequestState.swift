/// What the server remembers about one request between libmicrohttpd's calls to the access handler: created when
/// the request head is complete (libmicrohttpd's request state is `nil` until then), retained through libmicrohttpd's
/// `void **` request-state slot, and released by the completion callback.
///
/// One small allocation per request. It replaces an earlier trick that stored the arrival time in the bits of that
/// pointer, which assumed 64-bit pointers and hid the state from the sanitizers; an allocation costs tens of
/// nanoseconds against the tens of microseconds libmicrohttpd spends on a request.
///
/// Not `Sendable`: libmicrohttpd calls the access handler of a connection on one thread at a time, and a suspended
/// connection is resumed through libmicrohttpd's own mutex, which orders the write of ``pending`` before the read
/// after resumption.
final class RequestState {
    /// When the request head was complete, on the server's ``ServerClock``.
    let arrival: UInt64
    /// For the metrics route: the shared render's ticket taken on arrival (see ``SharedRender/ticket()``).
    let renderTicket: UInt64
    /// Set while a metrics request waits, suspended, for a render.
    var pending: PendingScrape?

    init(arrival: UInt64, renderTicket: UInt64) {
        self.arrival = arrival
        self.renderTicket = renderTicket
    }
}
