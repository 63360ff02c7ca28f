import CircuitBreaker
import CircuitBreakerInternals
import Foundation

/// The live status page served at `/`: one self-contained HTML document (inline style and script, no external
/// asset), whose table is rendered here for the first paint and for browsers without scripts (which reload it with
/// a `<meta http-equiv="refresh">` inside `<noscript>`), and re-rendered by its script from `GET /api/v1/breakers`
/// every refresh interval.
///
/// Breakers that are not closed come first, then by name; a filter box narrows the table by name or state. The
/// state is shown as a symbol and a word on a coloured badge, never by colour alone. With `admin`, each row gets
/// buttons that ask for a reason and a TTL and call the override API.
struct StatusPage: Sendable {
    let refreshInterval: Duration
    let admin: Bool

    /// The document for `statuses`.
    func render(_ statuses: [BreakerStatus]) -> [UInt8] {
        var html: [UInt8] = []
        html.reserveCapacity(4_096 + statuses.count * 400)
        let refreshSeconds = max(Int(refreshInterval.components.seconds), 1)
        html.append(
            contentsOf: """
                <!DOCTYPE html>
                <html lang="en">
                <head>
                <meta charset="utf-8">
                <meta name="viewport" content="width=device-width, initial-scale=1">
                <title>Circuit breakers</title>
                <noscript><meta http-equiv="refresh" content="\(refreshSeconds)"></noscript>
                <style>\(Self.style)</style>
                </head>
                <body data-admin="\(admin)" data-refresh-ms="\(refreshSeconds * 1_000)" data-refreshes="0">
                <header><h1>Circuit breakers</h1>
                <p><a href="api/v1/breakers">JSON status</a> · <a href="api/v1/events">event stream</a>\
                \(admin ? "" : " · <a href=\"admin\">admin view</a>")</p></header>
                <p id="summary" role="status" aria-live="polite">
                """.utf8
        )
        html.append(contentsOf: Self.summary(statuses).utf8)
        html.append(
            contentsOf: """
                </p>
                <p class="controls"><label for="filter">Filter by name or state</label>
                <input id="filter" type="search" autocomplete="off" placeholder="e.g. payments or open">
                <span id="updated">Rendered by the server; scripts refresh it every \(refreshSeconds) s.</span></p>
                <p id="message" role="alert"></p>
                <table id="breakers">
                <caption>Breakers that are not closed first, then by name. Ratios are shown against their trip \
                thresholds; rates are per second since the previous refresh.</caption>
                <thead><tr><th scope="col">Breaker</th><th scope="col">State</th>\
                <th scope="col">Failure ratio / threshold</th><th scope="col">Slow-call ratio / threshold</th>\
                <th scope="col">Calls/s</th><th scope="col">Rejected/s</th><th scope="col">In state for</th>\
                <th scope="col">Last transitions</th><th scope="col">Override</th>\
                \(admin ? "<th scope=\"col\">Actions</th>" : "")</tr></thead>
                <tbody>

                """.utf8
        )
        for status in Self.ordered(statuses) {
            StatusRow(status: status, admin: admin).append(to: &html)
        }
        html.append(contentsOf: "</tbody>\n</table>\n<script>".utf8)
        html.append(contentsOf: Self.script.utf8)
        html.append(contentsOf: "</script>\n</body>\n</html>\n".utf8)
        return html
    }

    /// The page's Content-Security-Policy: nothing loads but the page's own inline style sheet and script,
    /// allowed by their SHA-256 hashes (no `'unsafe-inline'`), and requests to this origin (the JSON API); no
    /// frame may hold the page (`frame-ancestors 'none'`, against clickjacking of the admin buttons), no form may
    /// submit anywhere, and no `<base>` may redirect its relative links.
    static let contentSecurityPolicy: String = {
        let script = contentSecurityPolicyHash(of: StatusPage.script)
        let style = contentSecurityPolicyHash(of: StatusPage.style)
        return "default-src 'none'; script-src \(script); style-src \(style); connect-src 'self'; img-src 'self'; "
            + "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    }()

    /// Not closed first, then by name.
    static func ordered(_ statuses: [BreakerStatus]) -> [BreakerStatus] {
        statuses.sorted { lhs, rhs in
            let lhsClosed = lhs.snapshot.state == .closed
            let rhsClosed = rhs.snapshot.state == .closed
            if lhsClosed != rhsClosed { return !lhsClosed }
            return lhs.snapshot.name < rhs.snapshot.name
        }
    }

    /// For example `3 breakers: 1 open, 2 closed`.
    static func summary(_ statuses: [BreakerStatus]) -> String {
        var counts = [Int](repeating: 0, count: CircuitState.allCases.count)
        for status in statuses { counts[Int(status.snapshot.state.rawValue)] += 1 }
        let parts = CircuitState.allCases.filter { counts[Int($0.rawValue)] > 0 }.map {
            "\(counts[Int($0.rawValue)]) \(StatusRow.words($0))"
        }
        return "\(statuses.count) breakers" + (parts.isEmpty ? "" : ": " + parts.joined(separator: ", "))
    }
}
