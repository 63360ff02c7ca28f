import CircuitBreakerOperations
import MetricsExporter

/// The demo's command line.
struct DemoOptions: Sendable {
    var port: UInt16 = 9464
    var bind = "127.0.0.1"
    /// Hidden, test-only (`--hang-renders-after N`, not in the usage): every exporter render after the N-th blocks
    /// forever, as a hanging source would. scripts/pressure/stuck_shutdown.py uses it to time SIGTERM with a
    /// render stuck.
    var hangRendersAfter: Int?
    var rate = 20.0
    var flakyFailureRate = 0.2
    var flakySlowRate = 0.1
    var outageOffset = 30.0
    var outageDuration = 60.0
    var outagePeriod = 180.0
    var duration = 0.0
    var quiet = false
    var extraBreakers = 0
    var partners = 20
    var partnerOutages = 2
    var madeUpKeys = 0.0
    var perIPConnectionLimit: Int? = MetricsServerConfiguration.Limits.default.perIPConnectionLimit
    var webConfig: String?
    var adminUsers: [String: String] = [:]
    var scrapeUsers: [String: String] = [:]
    var stateFile: String?
    var maximumOverrideTTL: Duration = .seconds(24 * 3600)
    var heartbeatInterval: Duration = BreakerOperations.Configuration.default.heartbeatInterval
    var requestTimeout: Duration = MetricsServerConfiguration.Limits.default.requestTimeout
    var streamsPerAddress: Int? = MetricsServerConfiguration.Limits.default.streamsPerAddress
    var shadowFailureRate = 0.3
    var nativeHistograms = false
    var metricsBackend = MetricsBackend.prometheus
    var calibration = false
    var traceIDPrefix = String(UInt64.random(in: 0...UInt64.max), radix: 16)
    var help = false

    static let usage = """
        breaker-demo: three simulated dependencies behind circuit breakers, exported for Prometheus.

          catalog          healthy: answers in 5-20 ms
          recommendations  flaky: fails and answers slowly at random (fallback: cached recommendations)
          payments         goes through outages on a schedule: its breaker trips, probes, and recovers
          partners         a group of keyed breakers, one per partner (partner-01 ... partner-20), created on
                           first call: the first two go through outages with payments, each opens only its own key
          search           SHADOW MODE: trips like the others but runs every call; the calls it would have
                           rejected are counted as circuit_breaker_calls_total{outcome="shadow_rejected"}

        Metrics: http://BIND:PORT/metrics   Live status page: http://BIND:PORT/   Admin page: http://BIND:PORT/admin
        Status API: /api/v1/breakers, /api/v1/breakers/NAME   Events (SSE): /api/v1/events
        Overrides (admin users): POST /api/v1/breakers/NAME/override with
          {"action": "force_open"|"disable"|"reset", "reason": "...", "ttl": "30m"}; DELETE on the same path clears it.

        An admin user, for the overrides (bcrypt hash, as htpasswd writes it):
          breaker-demo --admin-user "$(htpasswd -nbB alice secret)" --state-file overrides.json
          curl -u alice:secret -d '{"action":"force_open","reason":"drill","ttl":"10m"}' \\
               http://127.0.0.1:9464/api/v1/breakers/payments/override

        Options:
          --port N                  exporter port (default 9464; 0 picks a free one)
          --bind ADDRESS            exporter bind address: 127.0.0.1, 0.0.0.0, ::1, :: (default 127.0.0.1)
          --rate N                  calls per second to each dependency (default 20)
          --flaky-failure-rate P    share of recommendations calls that fail, 0-1 (default 0.2)
          --flaky-slow-rate P       share of recommendations calls that take 300-600 ms, 0-1 (default 0.1)
          --outage-offset S         seconds from start until the first payments outage (default 30)
          --outage-duration S       seconds each payments outage lasts (default 60)
          --outage-period S         seconds from one outage start to the next (default 180)
          --duration S              exit after S seconds; 0 runs until Ctrl-C or SIGTERM (default 0)
          --extra-breakers N        also register N idle breakers (for exporter load tests; default 0)
          --partners N              partners of the partners group, called in turn at --rate calls per second in
                                    all (default 20; 0: no group)
          --partner-outages N       how many partners go through the payments outages (default 2)
          --made-up-keys N          calls per second to the partners group with keys never used before (visitor-1,
                                    visitor-2, ...): the eviction attack; keys in an outage keep their slot (default 0)
          --per-ip-connection-limit N
                                    idle exporter connections kept per address: a new connection makes that
                                    address's oldest idle one give way, none is refused (default 32; 0: no bound)
          --admin-user NAME:HASH    an admin user (repeatable); HASH is bcrypt: --admin-user "$(htpasswd -nbB NAME PW)"
          --scrape-user NAME:HASH   a scrape-only user (repeatable): reads metrics and status, gets 403 on overrides
          --web-config FILE         exporter-toolkit web config: TLS (tls_server_config), scrape users
                                    (basic_auth_users) and admin users (admin_users), bcrypt hashes; for example
                                      openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj /CN=localhost \\
                                        -addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout key.pem -out cert.pem
                                      printf 'tls_server_config:\\n  cert_file: cert.pem\\n  key_file: key.pem\\n' > web.yml
                                      breaker-demo --web-config web.yml; curl --cacert cert.pem https://localhost:9464/metrics
          --metrics-backend B       prometheus (default): PrometheusMonitor, in text, OpenMetrics and protobuf; or
                                    swift-metrics: MetricsMonitor into swift-prometheus's PrometheusMetricsFactory,
                                    the same metric contract through swift-metrics (text 0.0.4)
          --state-file FILE         where overrides are saved to survive a restart (default: none, kept in memory)
          --max-override-ttl D      longest override ttl, e.g. 4h (default 24h)
          --heartbeat-interval D    event-stream heartbeat after D of silence, e.g. 15s (default 15s)
          --request-timeout D       exporter request timeout, also how long a stream may leave bytes unread
                                    (default 10s)
          --streams-per-address N   event streams one address may hold open; one more gets 429 (default 8;
                                    0: no bound)
          --shadow-failure-rate P   share of search calls that fail, 0-1 (default 0.3)
          --native-histograms       record call durations in Prometheus native histograms (served over protobuf)
          --calibration             also call a breaker "calibration" with known durations: 49 in 50 take 20 ms,
                                    one 320 ms (for end-to-end tests of quantiles)
          --trace-id-prefix HEX     first 16 hex digits of the demo's trace ids (default random); each call runs
                                    in a traced task, so duration buckets keep exemplars
          --quiet                   no live status lines
          --help                    this text
        """

    struct ParseError: Error, CustomStringConvertible {
        let description: String
    }

    static func parse(_ arguments: [String]) throws(ParseError) -> DemoOptions {
        var options = DemoOptions()
        var remaining = arguments[...]
        func value(_ flag: String) throws(ParseError) -> String {
            guard let value = remaining.popFirst() else { throw ParseError(description: "\(flag) needs a value") }
            return value
        }
        func number(_ flag: String, in range: ClosedRange<Double>) throws(ParseError) -> Double {
            let text = try value(flag)
            guard let number = Double(text), range.contains(number) else {
                throw ParseError(description: "\(flag) takes a number in \(range.lowerBound)...\(range.upperBound), not \(text)")
            }
            return number
        }
        func user(_ flag: String) throws(ParseError) -> (String, String) {
            let text = try value(flag)
            guard let colon = text.firstIndex(of: ":"), colon != text.startIndex, text[colon...].count > 1 else {
                throw ParseError(description: "\(flag) takes NAME:BCRYPT_HASH, as `htpasswd -nbB NAME PASSWORD` prints")
            }
            return (String(text[..<colon]), String(text[text.index(after: colon)...]))
        }
        while let flag = remaining.popFirst() {
            switch flag {
            case "--port":
                let text = try value(flag)
                guard let port = UInt16(text) else { throw ParseError(description: "--port takes 0-65535, not \(text)") }
                options.port = port
            case "--hang-renders-after": options.hangRendersAfter = Int(try number(flag, in: 0...1e9))
            case "--bind": options.bind = try value(flag)
            case "--rate": options.rate = try number(flag, in: 0.1...10_000)
            case "--flaky-failure-rate": options.flakyFailureRate = try number(flag, in: 0...1)
            case "--flaky-slow-rate": options.flakySlowRate = try number(flag, in: 0...1)
            case "--outage-offset": options.outageOffset = try number(flag, in: 0...1e9)
            case "--outage-duration": options.outageDuration = try number(flag, in: 0...1e9)
            case "--outage-period": options.outagePeriod = try number(flag, in: 0.001...1e9)
            case "--duration": options.duration = try number(flag, in: 0...1e9)
            case "--extra-breakers": options.extraBreakers = Int(try number(flag, in: 0...100_000))
            case "--partners": options.partners = Int(try number(flag, in: 0...99))
            case "--partner-outages": options.partnerOutages = Int(try number(flag, in: 0...99))
            case "--made-up-keys": options.madeUpKeys = try number(flag, in: 0...10_000)
            case "--per-ip-connection-limit":
                let limit = Int(try number(flag, in: 0...100_000))
                options.perIPConnectionLimit = limit == 0 ? nil : limit
            case "--admin-user":
                let (name, hash) = try user(flag)
                options.adminUsers[name] = hash
            case "--scrape-user":
                let (name, hash) = try user(flag)
                options.scrapeUsers[name] = hash
            case "--web-config": options.webConfig = try value(flag)
            case "--state-file": options.stateFile = try value(flag)
            case "--max-override-ttl":
                let text = try value(flag)
                guard let ttl = DemoOptions.duration(text) else {
                    throw ParseError(description: "--max-override-ttl takes a duration such as 4h or 30m, not \(text)")
                }
                options.maximumOverrideTTL = ttl
            case "--heartbeat-interval", "--request-timeout":
                let text = try value(flag)
                guard let duration = DemoOptions.duration(text) else {
                    throw ParseError(description: "\(flag) takes a duration such as 15s or 1m, not \(text)")
                }
                if flag == "--heartbeat-interval" {
                    options.heartbeatInterval = duration
                } else {
                    options.requestTimeout = duration
                }
            case "--streams-per-address":
                let limit = Int(try number(flag, in: 0...100_000))
                options.streamsPerAddress = limit == 0 ? nil : limit
            case "--shadow-failure-rate": options.shadowFailureRate = try number(flag, in: 0...1)
            case "--native-histograms": options.nativeHistograms = true
            case "--metrics-backend":
                let text = try value(flag)
                guard let backend = MetricsBackend(rawValue: text) else {
                    throw ParseError(description: "--metrics-backend takes prometheus or swift-metrics, not \(text)")
                }
                options.metricsBackend = backend
            case "--calibration": options.calibration = true
            case "--trace-id-prefix": options.traceIDPrefix = try value(flag)
            case "--quiet": options.quiet = true
            case "--help", "-h": options.help = true
            default: throw ParseError(description: "unknown option \(flag) (see --help)")
            }
        }
        return options
    }

    /// `30m`, `4h`, `90s`, `2d`: a whole number and one unit, at most 10,000 days (checked before it is
    /// multiplied, so no number on the command line can trap).
    static func duration(_ text: String) -> Duration? {
        guard let unit = text.last, let value = Int64(text.dropLast()), value > 0 else { return nil }
        let scale: Int64
        switch unit {
        case "s": scale = 1
        case "m": scale = 60
        case "h": scale = 3_600
        case "d": scale = 86_400
        default: return nil
        }
        let (seconds, overflow) = value.multipliedReportingOverflow(by: scale)
        guard !overflow, seconds <= 10_000 * 86_400 else { return nil }
        return .seconds(seconds)
    }
}
