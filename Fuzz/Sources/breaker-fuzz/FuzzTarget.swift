import CircuitBreaker
import Foundation

@testable import CircuitBreakerOperations
@testable import MetricsExporter
import MetricsEndpoint
import PortableRoutes

/// One fuzzed parser: it takes any bytes and must neither trap nor misbehave; each target also checks a property
/// of what it parsed, so a wrong answer fails like a crash (`fatalError` here is the fuzzer's failure report, never
/// reachable from the library).
struct FuzzTarget: Sendable {
    let run: @Sendable ([UInt8]) -> Void

    /// Set once by main before libFuzzer starts.
    nonisolated(unsafe) static var selected: FuzzTarget?

    static let all: [String: FuzzTarget] = [
        "ttl": FuzzTarget(run: ttl),
        "override-body": FuzzTarget(run: overrideBody),
        "state-file": FuzzTarget(run: stateFile),
        "accept": FuzzTarget(run: accept),
        "path": FuzzTarget(run: path),
    ]

    /// `TimeToLive.parse`: any text; a parsed duration is within 0…10,000 days and formats back to one that parses
    /// to the same whole seconds.
    static func ttl(_ bytes: [UInt8]) {
        let text = String(decoding: bytes, as: UTF8.self)
        guard let duration = try? TimeToLive.parse(text) else { return }
        guard duration >= .zero, duration <= .nanoseconds(TimeToLive.maximumNanoseconds) else {
            fatalError("ttl \(text.debugDescription) parsed out of bounds: \(duration)")
        }
        let formatted = TimeToLive.format(duration)
        guard let again = try? TimeToLive.parse(formatted),
            again.components.seconds == duration.components.seconds
        else { fatalError("ttl \(text.debugDescription) formatted as \(formatted), which does not parse back") }
    }

    /// `OverrideRequest(body:)`: any body; an accepted one has a known action, a 1…500 character reason without
    /// control characters, and a positive TTL within the maximum.
    static func overrideBody(_ bytes: [UInt8]) {
        let maximum = Duration.seconds(86_400)
        guard let request = try? OverrideRequest(body: bytes, maximumTTL: maximum) else { return }
        guard request.ttl > .zero, request.ttl <= maximum, (1...500).contains(request.reason.count),
            !OverrideStateDocument.hasControlCharacter(request.reason)
        else { fatalError("accepted an override body it should refuse: \(request)") }
    }

    /// `OverrideStateDocument.parse`: any file; every loaded override ends within the maximum TTL from now, and
    /// the page's clock and the audit time format it without trapping.
    static func stateFile(_ bytes: [UInt8]) {
        let now = 1_700_000_000.0
        guard let loaded = try? OverrideStateDocument.parse(bytes, path: "fuzz", now: now, maximumTTL: .seconds(86_400))
        else { return }
        for (name, override) in loaded.overrides {
            guard !name.isEmpty, override.expiresAt > now, override.expiresAt <= now + 86_400 + 60,
                override.appliedAt <= override.expiresAt, override.action != .reset
            else { fatalError("loaded an override it should refuse: \(name) \(override)") }
            _ = StatusRow.clock(override.expiresAt)
            _ = StatusRow.clock(override.appliedAt)
            _ = AuditLog.time(override.appliedAt)
        }
    }

    /// `ExpositionFormat.negotiate` and `acceptsGzip`: any header; the format chosen is one that was offered.
    static func accept(_ bytes: [UInt8]) {
        for offered: Set<ExpositionFormat> in [[.prometheusText, .openMetrics, .protobuf], [.prometheusText]] {
            let format = ExpositionFormat.negotiate(accept: bytes, offered: offered)
            guard offered.contains(format) else { fatalError("negotiated \(format), not offered") }
        }
        _ = acceptsGzip(bytes)
        _ = CrossSiteGuard.isJSON(String(decoding: bytes, as: UTF8.self))
        _ = CrossSiteGuard.authority(ofOrigin: String(decoding: bytes, as: UTF8.self))
    }

    /// The route table's path matching and percent-decoding: any request target; a match's parameters decode
    /// back to segments of the target, and a literal route matches only its own bytes.
    static func path(_ bytes: [UInt8]) {
        let target = bytes.withUnsafeBufferPointer { $0 }
        let text = String(decoding: bytes, as: UTF8.self)
        switch table.match(method: .get, path: text, bytes: target) {
        case .found(let route, _, let parameters):
            let pattern = table.routes[route].path
            if !pattern.contains("{"), Array(pattern.utf8) != bytes, text != pattern {
                fatalError("literal route \(pattern) matched \(text.debugDescription)")
            }
            for (_, raw) in parameters {
                if raw.contains(UInt8(ascii: "/")) {
                    fatalError("a parameter spans segments: \(text.debugDescription)")
                }
                _ = percentDecoded(raw)
            }
        case .notFound, .methodNotAllowed:
            break
        }
        _ = percentDecoded(bytes, plusAsSpace: true)
    }

    /// The operations routes plus the standard ones, as a server builds them.
    static let table: RouteTable = {
        let handler: PortableRoute.Handler = { _ in .text("") }
        let routes = [
            "/", "/admin", "/api/v1/breakers", "/api/v1/breakers/{name}", "/api/v1/breakers/{name}/override",
            "/api/v1/events", "/api/v1/{a}/x/{b}",
        ].map { Route.get($0, access: .public, handler: handler) }
        do {
            return try RouteTable(
                standard: Route.standardRoutes(
                    metricsPath: "/metrics",
                    landingPage: LandingPage(serviceName: "fuzz", serviceVersion: "", metricsPath: "/metrics"),
                    status: nil
                ),
                custom: routes
            )
        } catch {
            fatalError("the fuzz route table is invalid: \(error)")
        }
    }()
}
