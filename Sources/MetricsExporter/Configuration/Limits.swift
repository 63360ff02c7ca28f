extension MetricsServerConfiguration {
    /// Resource limits. Every one is always applied; the defaults suit a scrape endpoint.
    public struct Limits: Sendable, Hashable {
        /// The most connections open at once before idle ones give way. A new connection beyond it evicts the
        /// oldest idle connection (one waiting for a request: silent, trickling its head, or kept alive) of the
        /// address holding the most; when every connection has a request in flight, a small reserve above the
        /// limit still admits health checks (other routes get 503 there). So a flood of idle sockets never keeps a
        /// scrape or a health check waiting. Bounded by the process's open-file limit, which the server raises
        /// (up to the hard limit) if it is too low for this many.
        public var connectionLimit: Int
        /// The most *idle* connections one IP address may hold, or `nil` for no per-address bound: a new
        /// connection from an address at the bound evicts that address's oldest idle connection. A connection is
        /// never refused for its address, so scrapers sharing one address (behind a NAT) are not locked out.
        public var perIPConnectionLimit: Int?
        /// Closes a connection after this long without any traffic (whole seconds, rounded up).
        public var connectionTimeout: Duration
        /// The time a connection has to deliver a complete request head (request line and headers), and then
        /// again to take its response. Unlike ``connectionTimeout`` it is not reset by traffic, so a client that
        /// trickles one byte at a time (slowloris) is cut off. Between requests on a keep-alive connection the
        /// connection may also idle for ``connectionTimeout``.
        public var requestTimeout: Duration
        /// Memory for one connection's request head and response headers, in bytes. A request whose head does
        /// not fit is answered by libmicrohttpd with an error and closed.
        public var connectionMemoryLimit: Int
        /// The listen backlog of the socket.
        public var listenBacklog: Int
        /// The most streaming responses (a ``/PortableRoutes/ResponseChunks`` body, such as server-sent events) one IP
        /// address may hold open at once, or `nil` for no per-address bound: one more is answered `429 Too Many
        /// Requests` (with `Retry-After`), so one client cannot take every stream slot of a service.
        public var streamsPerAddress: Int?

        /// Creates limits; every parameter has a default.
        public init(
            connectionLimit: Int = 2_048,
            perIPConnectionLimit: Int? = 32,
            connectionTimeout: Duration = .seconds(10),
            requestTimeout: Duration = .seconds(10),
            connectionMemoryLimit: Int = 32 * 1024,
            listenBacklog: Int = 128,
            streamsPerAddress: Int? = 8
        ) {
            self.connectionLimit = connectionLimit
            self.perIPConnectionLimit = perIPConnectionLimit
            self.connectionTimeout = connectionTimeout
            self.requestTimeout = requestTimeout
            self.connectionMemoryLimit = connectionMemoryLimit
            self.listenBacklog = listenBacklog
            self.streamsPerAddress = streamsPerAddress
        }

        /// 2,048 connections, 32 idle ones per address, 10 s idle and request timeouts, 32 KiB per connection, 8
        /// streams per address.
        public static let `default` = Limits()
    }
}
