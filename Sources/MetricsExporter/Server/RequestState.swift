import HTTPTypes
import MetricsEndpoint

/// What the server remembers about one request between libmicrohttpd's calls to the access handler: created when
/// the request head is complete (libmicrohttpd's request state is `nil` until then), retained through libmicrohttpd's
/// `void **` request-state slot, and released by the completion callback.
///
/// One small allocation per request. It replaces an earlier trick that stored the arrival time in the bits of that
/// pointer, which assumed 64-bit pointers and hid the state from the sanitizers; an allocation costs tens of
/// nanoseconds against the tens of microseconds libmicrohttpd spends on a request.
///
/// Not `Sendable`: libmicrohttpd calls the access handler of a connection on one thread at a time, and a suspended
/// connection is resumed through libmicrohttpd's own mutex, which orders the writes before suspension and the
/// reads after resumption.
final class RequestState {
    /// When the request head was complete, on the server's ``ServerClock``.
    let arrival: UInt64
    /// The method.
    let method: HTTPRequest.Method
    /// The request path, percent-encoded, without the query string.
    let path: String
    /// The gate's verdict; a body over the limit turns it into a 413.
    var verdict: Verdict
    /// The `path` label the request is counted under.
    let label: Int
    /// For the exposition route: the shared render's ticket taken on arrival (see ``SharedRender/ticket()``).
    var renderTicket: UInt64 = 0
    /// The client's address.
    var peer = PeerAddress(high: 0, low: 0)
    /// The largest body the request's route takes (0 until a route is found).
    var bodyLimit = 0
    /// Set while the credentials are checked off libmicrohttpd's threads.
    var authentication: PendingAuthentication?
    /// What the gate decides once they are.
    var continuation: RequestGate.Continuation?
    /// Whether the request, complete, has declined once to be answered before waiting for its credentials' check.
    var authenticationDeferredOnce = false
    /// Whether body bytes are kept (the request is admitted, or waits for its credentials' check).
    var takesBody: Bool {
        switch self.verdict {
        case .admit, .authenticating: true
        case .reject: false
        }
    }
    /// The body received so far.
    var body: [UInt8] = []
    /// Body bytes dropped after the body went over its route's limit.
    var discarded = 0
    /// Whether a response has been queued.
    var responded = false
    /// Whether an exposition request has declined once to be answered before waiting for a render (see
    /// ``ServerContext/serveExposition(_:_:)``).
    var deferredOnce = false
    /// Set while an exposition request waits, suspended, for a render.
    var pending: PendingScrape?
    /// Set when the response is a stream.
    var stream: StreamConnection?

    init(arrival: UInt64, method: HTTPRequest.Method, path: String, verdict: Verdict, label: Int) {
        self.arrival = arrival
        self.method = method
        self.path = path
        self.verdict = verdict
        self.label = label
    }
}
