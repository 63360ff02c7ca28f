/// The few rules by which OpenMetrics 1.0 text differs from the Prometheus text format 0.0.4, for every module that
/// writes it (the Prometheus monitor, the exporter's self-metrics).
///
/// - A counter family is declared without `_total` (`# TYPE circuit_breaker_calls counter`); its samples keep it.
/// - `# UNIT` may name a unit only if the family name ends with `_` and that unit.
/// - `# HELP` text escapes backslash, double quote and line feed (0.0.4 leaves the quote alone).
/// - The exposition ends with `# EOF` (written by whoever closes the body: the exporter, after its own families).
package enum OpenMetricsText {
    /// The media type Prometheus asks for first, and the value of `Content-Type` for OpenMetrics bodies.
    package static let contentType = "application/openmetrics-text; version=1.0.0; charset=utf-8"

    /// The last line of every OpenMetrics exposition.
    package static let eof: [UInt8] = Array("# EOF\n".utf8)

    /// The family name of a counter whose samples are called `sampleName`: without its `_total` suffix.
    package static func counterFamilyName(_ sampleName: some StringProtocol) -> Substring {
        let name = Substring(sampleName)
        return name.hasSuffix("_total") ? name.dropLast(6) : name
    }

    /// `unit` if the family `name` ends with `_unit`, as `# UNIT` requires; nil otherwise (or for no unit).
    package static func declarableUnit(_ unit: String, of name: some StringProtocol) -> String? {
        guard !unit.isEmpty, name.utf8.count > unit.utf8.count, name.hasSuffix("_" + unit) else { return nil }
        return unit
    }
}

extension MetricContract.Family {
    /// The name in OpenMetrics `# TYPE`, `# HELP` and `# UNIT` lines: a counter's without `_total`.
    package var openMetricsName: String {
        kind == .counter ? String(OpenMetricsText.counterFamilyName(name)) : name
    }

    /// The unit OpenMetrics may declare: the contract's, if the OpenMetrics name ends with it
    /// (`circuit_breaker_failure_ratio_threshold` is a ratio, but its name does not end in `_ratio`).
    package var openMetricsUnit: String? {
        OpenMetricsText.declarableUnit(unit, of: openMetricsName)
    }
}

extension [UInt8] {
    /// Appends `text` escaped for an OpenMetrics `# HELP` line: backslash, double quote and line feed become `\\`,
    /// `\"` and `\n`.
    /// The escapes are those of a label value.
    package mutating func appendOpenMetricsHelp(_ text: some Sequence<UInt8>) {
        appendEscapedLabelValue(text)
    }

    /// Appends the descriptor lines of an OpenMetrics family: `# TYPE`, `# UNIT` (when `unit` is given) and
    /// `# HELP` (when `help` is given).
    package mutating func appendOpenMetricsDescriptor(
        name: some StringProtocol,
        type: String,
        unit: String?,
        help: (some Sequence<UInt8>)?
    ) {
        func appendLine(_ keyword: String, _ value: () -> Void) {
            append(contentsOf: "# \(keyword) ".utf8)
            append(contentsOf: name.utf8)
            append(UInt8(ascii: " "))
            value()
            append(UInt8(ascii: "\n"))
        }
        appendLine("TYPE") { append(contentsOf: type.utf8) }
        if let unit { appendLine("UNIT") { append(contentsOf: unit.utf8) } }
        if let help { appendLine("HELP") { appendOpenMetricsHelp(help) } }
    }
}
