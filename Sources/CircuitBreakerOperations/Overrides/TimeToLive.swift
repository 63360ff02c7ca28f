/// How long an override lasts, as the API takes it: whole numbers with units, largest first, as Prometheus writes
/// durations: `30m`, `1h30m`, `90s`, `2d`, `500ms`.
///
/// The text comes from a request, so every step is checked before it can overflow: at most six digits a term, each
/// term bounded before it is added, the sum bounded by ``maximum`` (see "Input never reaches arithmetic
/// unchecked" in the module's documentation).
enum TimeToLive {
    private static let units: [(suffix: String, nanoseconds: Int64)] = [
        ("d", 86_400_000_000_000), ("h", 3_600_000_000_000), ("ms", 1_000_000), ("m", 60_000_000_000),
        ("s", 1_000_000_000),
    ]

    /// The longest duration `parse` accepts: 10,000 days.
    static let maximumNanoseconds: Int64 = 10_000 * 86_400_000_000_000

    /// The duration `text` spells; throws ``OperationsError/Code/badTTL`` for anything else (no unit, a unit twice
    /// or out of order, a fraction, a sign, more than 10,000 days).
    static func parse(_ text: String) throws(OperationsError) -> Duration {
        var rest = Substring(text)
        var total: Int64 = 0
        var lastUnit = Int64.max
        guard !rest.isEmpty, text.utf8.count <= 64 else { throw bad(text) }
        while !rest.isEmpty {
            let digits = rest.prefix { $0.isASCII && $0.isNumber }
            guard !digits.isEmpty, digits.count <= 6, let value = Int64(digits) else { throw bad(text) }
            rest = rest.dropFirst(digits.count)
            guard let unit = units.first(where: { rest.hasPrefix($0.suffix) }), unit.nanoseconds < lastUnit else {
                throw bad(text)
            }
            rest = rest.dropFirst(unit.suffix.count)
            lastUnit = unit.nanoseconds
            // Checked arithmetic: 999,999 days alone would overflow Int64 nanoseconds.
            let (term, termOverflow) = value.multipliedReportingOverflow(by: unit.nanoseconds)
            guard !termOverflow, term <= maximumNanoseconds else { throw bad(text) }
            let (sum, sumOverflow) = total.addingReportingOverflow(term)
            guard !sumOverflow, sum <= maximumNanoseconds else { throw bad(text) }
            total = sum
        }
        return .nanoseconds(total)
    }

    /// `1h30m`, `45s`, `0s`: the shortest spelling in the units `parse` reads (to the second).
    static func format(_ duration: Duration) -> String {
        var seconds = duration.components.seconds
        guard seconds > 0 else { return "0s" }
        var text = ""
        for (suffix, size) in [("d", Int64(86_400)), ("h", 3_600), ("m", 60), ("s", 1)] where seconds >= size {
            text += "\(seconds / size)\(suffix)"
            seconds %= size
        }
        return text
    }

    private static func bad(_ text: String) -> OperationsError {
        OperationsError(.badTTL, "ttl \"\(text.prefix(40))\" is not a duration such as 30m, 1h30m or 90s")
    }
}
