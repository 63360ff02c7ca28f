import CircuitBreakerInternals
import CircuitBreaker
import Foundation

/// One row of the status page's table, as the server renders it (the page's script renders the same cells from
/// the JSON API).
struct StatusRow {
    let status: BreakerStatus
    let admin: Bool

    /// The symbol shown before a state's words, so that the state never depends on colour alone.
    static func symbol(_ state: CircuitState) -> String {
        switch state {
        case .closed: "✓"
        case .open: "✕"
        case .halfOpen: "◐"
        case .forcedOpen: "⊘"
        case .disabled: "‖"
        }
    }

    /// The state in words: `closed`, `open`, `half open`, `forced open`, `disabled`.
    static func words(_ state: CircuitState) -> String {
        state.label.replacingOccurrences(of: "_", with: " ")
    }

    func append(to html: inout [UInt8]) {
        let snapshot = status.snapshot
        let state = snapshot.state
        var row = "<tr data-breaker=\"\(HTMLText.escape(snapshot.name))\" data-state=\"\(state.label)\">"
        row += "<th scope=\"row\">\(HTMLText.escape(snapshot.name))</th>"
        row += "<td><span class=\"badge \(state.label)\">\(Self.symbol(state)) \(Self.words(state))</span>"
        if status.configuration.enforcement == .shadow { row += " <small>(shadow)</small>" }
        row += "</td>"
        let trip = status.configuration.trip
        row += "<td>\(ratio(snapshot.failureRatio, trip.failureRatioThreshold))</td>"
        row += "<td>\(ratio(snapshot.slowCallRatio, trip.slowCallRatioThreshold))</td>"
        row += "<td>–</td><td>–</td>"
        row += "<td>\(Self.duration(snapshot.timeInCurrentState.secondsValue))</td>"
        row += "<td>\(transitions())</td>"
        row += "<td>\(override())</td>"
        if admin { row += "<td></td>" }
        row += "</tr>\n"
        html.append(contentsOf: row.utf8)
    }

    private func ratio(_ value: Double, _ threshold: Double?) -> String {
        guard let threshold else { return "–" }
        return String(format: "%.2f / %.2f", value, threshold)
    }

    private func transitions() -> String {
        let recent = status.recentTransitions.isEmpty
            ? (status.snapshot.lastTransition.map { [$0] } ?? []) : status.recentTransitions
        guard !recent.isEmpty else { return "none" }
        return recent.prefix(3).map { transition in
            "\(Self.words(transition.from)) → \(Self.words(transition.to)) (\(transition.reason)) "
                + Self.clock(transition.timestamp)
        }.joined(separator: "<br>")
    }

    private func override() -> String {
        guard let active = status.snapshot.activeOverride else { return "none" }
        return "\(active.action) by \(HTMLText.escape(active.actor)) until \(Self.clock(active.expiresAt)): "
            + HTMLText.escape(active.reason)
    }

    /// `42 s`, `3 m 4 s`, `2 h 5 m`, `3 d 4 h`; `–` for a value that is not a finite number of seconds an `Int64`
    /// holds.
    static func duration(_ seconds: Double) -> String {
        guard let whole = wholeSeconds(max(seconds, 0)) else { return "–" }
        if whole < 60 { return "\(whole) s" }
        if whole < 3_600 { return "\(whole / 60) m \(whole % 60) s" }
        if whole < 86_400 { return "\(whole / 3_600) h \((whole % 3_600) / 60) m" }
        return "\(whole / 86_400) d \((whole % 86_400) / 3_600) h"
    }

    /// The UTC time of day, `HH:MM:SSZ`; `--:--:--Z` for a time that is not a finite number of seconds an `Int64`
    /// holds. The value may come from the state file, so it never reaches a conversion unchecked.
    static func clock(_ unixSeconds: Double) -> String {
        guard let whole = wholeSeconds(unixSeconds) else { return "--:--:--Z" }
        // Floored modulo: a time before 1970 still names a time of day.
        let seconds = Int((whole % 86_400 + 86_400) % 86_400)
        return String(format: "%02d:%02d:%02dZ", seconds / 3_600, (seconds % 3_600) / 60, seconds % 60)
    }

    /// `value` rounded down, when it is finite and fits an `Int64`; never traps.
    static func wholeSeconds(_ value: Double) -> Int64? {
        guard value.isFinite else { return nil }
        return Int64(exactly: value.rounded(.down))
    }
}
