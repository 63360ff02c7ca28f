extension [UInt8] {
    /// Appends `value` escaped for a label value of the Prometheus text format 0.0.4: backslash, double quote and
    /// line feed become `\\`, `\"` and `\n`; every other byte of the UTF-8 (carriage returns, tabs, NUL, non-ASCII)
    /// is valid as is.
    ///
    /// swift-prometheus 2.4.1 escapes its own series the same way, but its escaping function is private, and the
    /// breakers' series are rendered here (see ``BreakerSeries``). A test checks that both produce the same bytes
    /// for hostile names.
    package mutating func appendEscapedLabelValue(_ value: String) {
        appendEscapedLabelValue(value.utf8)
    }

    /// Appends the UTF-8 bytes `value` escaped for a label value, as ``appendEscapedLabelValue(_:)-(String)`` does;
    /// OpenMetrics escapes label values the same way.
    package mutating func appendEscapedLabelValue(_ value: some Sequence<UInt8>) {
        for byte in value {
            switch byte {
            case UInt8(ascii: "\\"): append(contentsOf: #"\\"#.utf8)
            case UInt8(ascii: "\""): append(contentsOf: #"\""#.utf8)
            case UInt8(ascii: "\n"): append(contentsOf: #"\n"#.utf8)
            default: append(byte)
            }
        }
    }

    /// Appends `label="value"` with the value escaped.
    package mutating func appendLabel(_ name: String, _ value: String) {
        append(contentsOf: name.utf8)
        append(contentsOf: #"=""#.utf8)
        appendEscapedLabelValue(value)
        append(UInt8(ascii: "\""))
    }
}
