import CircuitBreaker
import CircuitBreakerInternals
import Foundation

/// The status page's table of groups, as the server renders it (the page's script renders the same rows from
/// `GET /api/v1/groups`): a row per group (its keys by state, its cap, evictions and overflows, its group-wide
/// override), followed by a row for each of its first keys that are not closed. Every name and key is escaped:
/// keys come from callers.
struct GroupRows {
    let summaries: [StatusRenderer.GroupSummary]
    let admin: Bool

    /// The section: heading, summary line and table.
    func append(to html: inout [UInt8]) {
        var text = """
            <h2 id="groups-heading">Breaker groups</h2>
            <p id="groups-summary" role="status" aria-live="polite">\(Self.summaryLine(summaries))</p>
            <table id="groups" aria-labelledby="groups-heading">
            <caption>One breaker per key. Each group, then its keys that are not closed (the first \
            \(StatusRenderer.notClosedKeysInSummary); <code>api/v1/groups/{group}</code> pages through every key).\
            </caption>
            <thead><tr><th scope="col">Group / key</th><th scope="col">State</th><th scope="col">Keys</th>\
            <th scope="col">Failure ratio / threshold</th><th scope="col">Evictions / overflows</th>\
            <th scope="col">In state for</th><th scope="col">Override</th>\
            \(admin ? "<th scope=\"col\">Actions</th>" : "")</tr></thead>
            <tbody>

            """
        for summary in summaries {
            text += groupRow(summary)
            for status in summary.notClosed { text += keyRow(status) }
        }
        text += "</tbody>\n</table>\n"
        html.append(contentsOf: text.utf8)
    }

    /// For example `1 group: 23 keys, 2 not closed`.
    static func summaryLine(_ summaries: [StatusRenderer.GroupSummary]) -> String {
        let keys = summaries.reduce(0) { $0 + $1.keys.count }
        let notClosed = summaries.reduce(0) { $0 + $1.notClosedCount }
        return "\(summaries.count) group\(summaries.count == 1 ? "" : "s"): \(keys) keys, \(notClosed) not closed"
    }

    private func groupRow(_ summary: StatusRenderer.GroupSummary) -> String {
        let name = HTMLText.escape(summary.group.name)
        let states = CircuitState.allCases.filter { summary.stateCounts[Int($0.rawValue)] > 0 }
            .map { "\(summary.stateCounts[Int($0.rawValue)]) \(StatusRow.words($0))" }.joined(separator: ", ")
        var row = "<tr class=\"group\" data-group=\"\(name)\"><th scope=\"row\">\(name)</th>"
        row += "<td>\(states.isEmpty ? "no keys" : states)</td>"
        row += "<td>\(summary.keys.count) / \(summary.group.configuration.maximumKeys)</td><td>–</td>"
        row += "<td>\(summary.group.evictions) / \(summary.group.overflows)</td><td>–</td>"
        row += "<td>\(Self.describe(summary.override, everyKey: true))</td>"
        if admin { row += "<td></td>" }
        return row + "</tr>\n"
    }

    private func keyRow(_ status: BreakerStatus) -> String {
        let snapshot = status.snapshot
        let group = HTMLText.escape(status.group ?? snapshot.name)
        let key = HTMLText.escape(status.key ?? "")
        let state = snapshot.state
        var row = "<tr class=\"key\" data-group=\"\(group)\" data-key=\"\(key)\" data-state=\"\(state.label)\">"
        row += "<th scope=\"row\">\(group) · \(key)</th>"
        row += "<td><span class=\"badge \(state.label)\">"
        row += "\(StatusRow.symbol(state)) \(StatusRow.words(state))</span></td>"
        row += "<td></td>"
        if let threshold = status.configuration.trip.failureRatioThreshold {
            row += "<td>\(String(format: "%.2f / %.2f", snapshot.failureRatio, threshold))</td>"
        } else {
            row += "<td>–</td>"
        }
        row += "<td></td><td>\(StatusRow.duration(snapshot.timeInCurrentState.secondsValue))</td>"
        row += "<td>\(Self.describe(snapshot.activeOverride, everyKey: false))</td>"
        if admin { row += "<td></td>" }
        return row + "</tr>\n"
    }

    private static func describe(_ override: BreakerOverride?, everyKey: Bool) -> String {
        guard let override else { return "none" }
        return "\(override.action)\(everyKey ? " (every key)" : "") by \(HTMLText.escape(override.actor)) until "
            + "\(StatusRow.clock(override.expiresAt)): \(HTMLText.escape(override.reason))"
    }
}
