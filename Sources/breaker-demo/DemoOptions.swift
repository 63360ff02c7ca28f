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
    var perIPConnectionLimit: Int? = MetricsServerConfiguration.Limits.default.perIPConnectionLimit
    var help = false

    static let usage = """
        breaker-demo: three simulated dependencies behind circuit breakers, exported for Prometheus.

          catalog          healthy: answers in 5-20 ms
          recommendations  flaky: fails and answers slowly at random (fallback: cached recommendations)
          payments         goes through outages on a schedule: its breaker trips, probes, and recovers

        Metrics: http://BIND:PORT/metrics   Landing page with breaker states: http://BIND:PORT/

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
          --per-ip-connection-limit N
                                    exporter connections allowed from one address (default 32; 0: no limit)
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
            case "--per-ip-connection-limit":
                let limit = Int(try number(flag, in: 0...100_000))
                options.perIPConnectionLimit = limit == 0 ? nil : limit
            case "--quiet": options.quiet = true
            case "--help", "-h": options.help = true
            default: throw ParseError(description: "unknown option \(flag) (see --help)")
            }
        }
        return options
    }
}
