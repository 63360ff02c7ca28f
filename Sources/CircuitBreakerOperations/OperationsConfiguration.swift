extension BreakerOperations {
    /// How the operations routes behave: where overrides are saved, the longest override, the event stream's bounds,
    /// and whether calls are counted for the status page's rates.
    ///
    /// ```swift
    /// var configuration = BreakerOperations.Configuration.default
    /// configuration.stateFile = "/var/lib/checkout/breaker-overrides.json"
    /// configuration.maximumTTL = .seconds(4 * 3600)
    /// ```
    public struct Configuration: Sendable, Hashable {
        /// The file overrides are saved to and restored from at start; `nil` keeps them in memory only (they are
        /// lost on restart).
        public var stateFile: String?
        /// The longest `ttl` an override may ask for; longer ones are refused with 400 (`ttl_too_long`).
        public var maximumTTL: Duration
        /// Whether calls are counted per breaker, for the call and rejection rates of the status page and the
        /// `calls` of the status API. Counting costs each call one relaxed atomic increment; without it the API
        /// reports `"calls": null` and the page shows no rates.
        public var countsCalls: Bool
        /// How many of the latest events the stream keeps for clients reconnecting with `Last-Event-ID`.
        public var replayCapacity: Int
        /// How many events one client may fall behind before it is dropped (and counted).
        public var clientQueueCapacity: Int
        /// How many clients may follow the event stream at once; more are answered 503.
        public var maximumEventClients: Int
        /// How long the event stream stays silent before it sends a comment line (`: keep-alive`) to keep the
        /// connection alive, measured on the operations' clock. The heartbeats also find clients that stopped
        /// reading: the exporter cuts a stream whose client leaves its bytes unread for a request timeout.
        public var heartbeatInterval: Duration
        /// How often the status page refreshes from the JSON API (and, with scripts off, reloads).
        public var pageRefreshInterval: Duration

        /// Creates a configuration; every parameter has the documented default.
        public init(
            stateFile: String? = nil,
            maximumTTL: Duration = .seconds(24 * 3600),
            countsCalls: Bool = true,
            replayCapacity: Int = 1_024,
            clientQueueCapacity: Int = 256,
            maximumEventClients: Int = 32,
            heartbeatInterval: Duration = .seconds(15),
            pageRefreshInterval: Duration = .seconds(2)
        ) {
            self.stateFile = stateFile
            self.maximumTTL = maximumTTL
            self.countsCalls = countsCalls
            self.replayCapacity = replayCapacity
            self.clientQueueCapacity = clientQueueCapacity
            self.maximumEventClients = maximumEventClients
            self.heartbeatInterval = heartbeatInterval
            self.pageRefreshInterval = pageRefreshInterval
        }

        /// No state file, overrides up to 24 hours, calls counted, 1,024 events replayed, 256 queued per client,
        /// 32 clients, a heartbeat every 15 s, the page refreshed every 2 s.
        public static let `default` = Configuration()
    }
}
