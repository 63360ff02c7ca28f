extension MetricsServerConfiguration {
    /// Resource limits. Every one is always applied; the defaults suit a scrape endpoint.
    public struct Limits: Sendable, Hashable {
        /// The most connections open at once. Further connections wait in the listen backlog until a slot frees;
        /// silent or trickling connections free their slots after ``requestTimeout`` at the latest.
        public var connectionLimit: Int
        /// The most connections from one IP address at once, or `nil` for no per-address limit.
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

        /// Creates limits; every parameter has a default.
        public init(
            connectionLimit: Int = 256,
            perIPConnectionLimit: Int? = 32,
            connectionTimeout: Duration = .seconds(10),
            requestTimeout: Duration = .seconds(10),
            connectionMemoryLimit: Int = 32 * 1024,
            listenBacklog: Int = 128
        ) {
            self.connectionLimit = connectionLimit
            self.perIPConnectionLimit = perIPConnectionLimit
            self.connectionTimeout = connectionTimeout
            self.requestTimeout = requestTimeout
            self.connectionMemoryLimit = connectionMemoryLimit
            self.listenBacklog = listenBacklog
        }

        /// 256 connections, 32 per address, 10 s idle and request timeouts, 32 KiB per connection.
        public static let `default` = Limits()
    }
}
