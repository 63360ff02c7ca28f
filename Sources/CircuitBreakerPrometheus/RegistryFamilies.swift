/// A metric family of the registry's own exposition (the service's metrics, `circuit_breaker_registrations_rejected_
/// total`), parsed from the text that swift-prometheus writes, so that the monitor can serve it in OpenMetrics and
/// protobuf too: swift-prometheus 2.4.1 writes the text format 0.0.4 only.
struct RegistryFamily {
    /// The type of a family, as its `# TYPE` line names it.
    enum Kind: String {
        case counter
        case gauge
        case histogram
        case summary
        case untyped
    }

    /// One sample line.
    struct Sample {
        /// The sample's name: the family's, or with `_bucket`, `_sum`, `_count` for histograms and summaries.
        var name: Substring
        /// The labels, unescaped, in their order.
        var labels: [(name: Substring, value: String)]
        var value: Double
    }

    /// The name in the text format (a counter's as registered: swift-prometheus adds no `_total`).
    var name: Substring
    var kind: Kind
    /// The help text, unescaped; nil without a `# HELP` line.
    var help: [UInt8]?
    var samples: [Sample] = []
}

/// Parses the text format 0.0.4 as swift-prometheus writes it: `# HELP` and `# TYPE` lines, then samples with
/// optional labels and a value (`+Inf`, `inf`, `NaN` included), families one after the other.
enum RegistryExpositionParser {
    /// Why a line could not be parsed.
    struct LineError: Error {
        let line: String
        let reason: String
    }

    /// The families of `text`. A family with a line that does not parse is left out whole (a family with half
    /// its samples would be wrong), and the error says which line and why.
    static func parse(_ text: some Collection<UInt8>) -> (families: [RegistryFamily], errors: [LineError]) {
        var families: [RegistryFamily] = []
        var errors: [LineError] = []
        var broken: Set<Substring> = []
        var pendingHelp: (name: Substring, text: [UInt8])?
        let string = String(decoding: text, as: UTF8.self)
        for line in string.split(separator: "\n", omittingEmptySubsequences: true) {
            if line.hasPrefix("# HELP ") {
                let rest = line.dropFirst(7)
                let name = rest.prefix { $0 != " " }
                pendingHelp = (name, unescapeHelp(rest.dropFirst(name.count + 1)))
                continue
            }
            if line.hasPrefix("# TYPE ") {
                let rest = line.dropFirst(7)
                let name = rest.prefix { $0 != " " }
                let kind = RegistryFamily.Kind(rawValue: String(rest.dropFirst(name.count + 1))) ?? .untyped
                let help = pendingHelp?.name == name ? pendingHelp?.text : nil
                families.append(RegistryFamily(name: name, kind: kind, help: help))
                pendingHelp = nil
                continue
            }
            if line.hasPrefix("#") { continue }
            do {
                let sample = try parseSample(line)
                if let last = families.last, belongs(sample.name, to: last) {
                    families[families.count - 1].samples.append(sample)
                } else {
                    families.append(RegistryFamily(name: sample.name, kind: .untyped, help: nil, samples: [sample]))
                }
            } catch {
                errors.append(error)
                if let last = families.last { broken.insert(last.name) }
            }
        }
        return (families.filter { !broken.contains($0.name) }, errors)
    }

    private static func belongs(_ sampleName: Substring, to family: RegistryFamily) -> Bool {
        if sampleName == family.name { return true }
        guard family.kind == .histogram || family.kind == .summary, sampleName.hasPrefix(family.name) else {
            return false
        }
        let suffix = sampleName.dropFirst(family.name.count)
        return suffix == "_bucket" || suffix == "_sum" || suffix == "_count"
    }

    /// `name{label="value",…} value [timestamp]`.
    static func parseSample(_ line: Substring) throws(LineError) -> RegistryFamily.Sample {
        func fail(_ reason: String) -> LineError { LineError(line: String(line), reason: reason) }
        let name = line.prefix { $0 != "{" && $0 != " " }
        guard !name.isEmpty else { throw fail("no metric name") }
        var rest = line.dropFirst(name.count)
        var labels: [(name: Substring, value: String)] = []
        if rest.first == "{" {
            rest = rest.dropFirst()
            while rest.first != "}" {
                let labelName = rest.prefix { $0 != "=" }
                rest = rest.dropFirst(labelName.count)
                guard rest.hasPrefix("=\"") else { throw fail("a label without =\"") }
                rest = rest.dropFirst(2)
                var value: [UInt8] = []
                var closed = false
                var iterator = rest.utf8.makeIterator()
                var consumed = 0
                while let byte = iterator.next() {
                    consumed += 1
                    if byte == UInt8(ascii: "\"") {
                        closed = true
                        break
                    }
                    if byte == UInt8(ascii: "\\"), let escaped = iterator.next() {
                        consumed += 1
                        switch escaped {
                        case UInt8(ascii: "n"): value.append(UInt8(ascii: "\n"))
                        default: value.append(escaped)
                        }
                    } else {
                        value.append(byte)
                    }
                }
                guard closed else { throw fail("an unterminated label value") }
                rest = Substring(rest.utf8.dropFirst(consumed))
                labels.append((labelName, String(decoding: value, as: UTF8.self)))
                if rest.first == "," { rest = rest.dropFirst() }
                guard !rest.isEmpty else { throw fail("no closing brace") }
            }
            rest = rest.dropFirst()
        }
        guard rest.first == " " else { throw fail("no space before the value") }
        let token = rest.dropFirst().prefix { $0 != " " }
        guard let value = parseValue(token) else { throw fail("the value \"\(token)\" is not a number") }
        return RegistryFamily.Sample(name: name, labels: labels, value: value)
    }

    /// A value as the text format and Swift's `description` spell it.
    static func parseValue(_ token: Substring) -> Double? {
        switch token {
        case "+Inf", "Inf", "inf", "+inf": .infinity
        case "-Inf", "-inf": -.infinity
        case "NaN", "nan": .nan
        default: Double(token)
        }
    }

    /// Help text with the 0.0.4 escapes (`\\`, `\n`) undone.
    private static func unescapeHelp(_ text: Substring) -> [UInt8] {
        var result: [UInt8] = []
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "\\"), let escaped = iterator.next() else {
                result.append(byte)
                continue
            }
            switch escaped {
            case UInt8(ascii: "n"): result.append(UInt8(ascii: "\n"))
            case UInt8(ascii: "\\"): result.append(UInt8(ascii: "\\"))
            default: result.append(contentsOf: [byte, escaped])
            }
        }
        return result
    }
}
