import Yams

/// Reading a web configuration file's YAML with Yams, strictly: every failure is a ``MetricsServerError`` naming
/// the YAML line and, once known, the key.
enum YAMLReading {
    /// The nesting (of flow and block collections together) beyond which a file is refused before Yams composes
    /// it: Yams composes recursively, so a pathological file (a million `[`) would otherwise exhaust the stack.
    /// A web configuration file nests three levels.
    static let maximumDepth = 64

    /// The document's root node, or `nil` for an empty document.
    static func root(of text: String) throws(MetricsServerError) -> Node? {
        if let line = lineBeyondMaximumDepth(text) {
            throw MetricsServerError(.invalidYAML, "nested deeper than \(Self.maximumDepth) levels", yamlLine: line)
        }
        do {
            return try Parser(yaml: text).singleRoot()
        } catch let error as YamlError {
            throw Self.translate(error)
        } catch {
            throw MetricsServerError(.invalidYAML, "\(error)")
        }
    }

    /// The entries of a mapping, as (key, value, YAML line of the key); an empty (null) value has none.
    static func entries(of node: Node, path: String?) throws(MetricsServerError) -> [(String, Node, Int?)] {
        if isNull(node) { return [] }
        guard case .mapping(let mapping) = node else {
            throw MetricsServerError(
                .invalidConfiguration,
                path == nil ? "the file must be a mapping" : "must be a mapping",
                yamlLine: node.mark?.line,
                key: path
            )
        }
        var entries: [(String, Node, Int?)] = []
        // Yams 6 refuses a duplicate key while composing; Yams 5 keeps both pairs, so they are refused here.
        var seen: [String: Int?] = [:]
        for (key, value) in mapping {
            guard case .scalar(let scalar) = key else {
                throw MetricsServerError(
                    .invalidConfiguration,
                    "keys must be plain strings",
                    yamlLine: key.mark?.line,
                    key: path
                )
            }
            if let first = seen[scalar.string] {
                // As Yams 6 reports it: the duplicated key, at its first line.
                throw MetricsServerError(
                    .duplicateKey,
                    "appears more than once in one mapping",
                    yamlLine: first,
                    key: scalar.string
                )
            }
            seen[scalar.string] = scalar.mark?.line
            entries.append((scalar.string, value, scalar.mark?.line))
        }
        return entries
    }

    /// A scalar's text; an empty (null) value is `""`.
    static func string(_ node: Node, path: String) throws(MetricsServerError) -> String {
        if isNull(node) { return "" }
        guard case .scalar(let scalar) = node else {
            throw MetricsServerError(.invalidConfiguration, "must be a string", yamlLine: node.mark?.line, key: path)
        }
        return scalar.string
    }

    /// Whether a node is an unquoted null (`key:` with nothing, `~`, `null`).
    private static func isNull(_ node: Node) -> Bool {
        guard case .scalar(let scalar) = node, scalar.style == .plain || scalar.style == .any else { return false }
        return node.null != nil
    }

    private static func translate(_ error: YamlError) -> MetricsServerError {
        if let duplicate = Self.duplicateKey(error) { return duplicate }
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            let detail = context.map { "\($0.text); " } ?? ""
            return MetricsServerError(.invalidYAML, detail + problem, yamlLine: mark.line)
        case .reader(let problem, _, _, _):
            return MetricsServerError(.invalidYAML, problem)
        default:
            return MetricsServerError(.invalidYAML, "\(error)")
        }
    }

    /// The first line at which flow brackets and block indentation together nest deeper than ``maximumDepth``,
    /// or `nil`. An over-estimate is fine: it only has to bound what Yams will recurse through.
    private static func lineBeyondMaximumDepth(_ text: String) -> Int? {
        var line = 1
        var flow = 0
        var indents: [Int] = []
        var column = 0
        var atLineStart = true
        var quote: UInt8? = nil
        var comment = false
        for byte in text.utf8 {
            if byte == 0x0A {
                line += 1
                column = 0
                atLineStart = true
                comment = false
                if quote == UInt8(ascii: "'") || quote == UInt8(ascii: "\"") { continue }
                continue
            }
            if comment { continue }
            if atLineStart, byte == UInt8(ascii: " ") || byte == UInt8(ascii: "-") {
                column += 1
                continue
            }
            if atLineStart {
                atLineStart = false
                if byte != UInt8(ascii: "#") {
                    while let last = indents.last, last >= column { indents.removeLast() }
                    indents.append(column)
                }
            }
            if let open = quote {
                if byte == open { quote = nil }
                continue
            }
            switch byte {
            case UInt8(ascii: "#"): comment = true
            case UInt8(ascii: "'"), UInt8(ascii: "\""): quote = byte
            case UInt8(ascii: "["), UInt8(ascii: "{"): flow += 1
            case UInt8(ascii: "]"), UInt8(ascii: "}"): flow = max(0, flow - 1)
            default: break
            }
            if flow + indents.count > Self.maximumDepth { return line }
        }
        return nil
    }

    /// Yams 6's `duplicatedKeysInMapping(duplicates:context:)`, read by reflection: the case does not exist in
    /// Yams 5, which this package also accepts (there ``entries(of:path:)`` finds the duplicate instead), so it
    /// cannot be named in a `switch` that compiles with both.
    private static func duplicateKey(_ error: YamlError) -> MetricsServerError? {
        guard let payload = Mirror(reflecting: error).children.first, payload.label == "duplicatedKeysInMapping"
        else { return nil }
        var duplicates: [String] = []
        var line: Int?
        for field in Mirror(reflecting: payload.value).children {
            if field.label == "duplicates", let keys = field.value as? [String] { duplicates = keys }
            if field.label == "context", let context = field.value as? YamlError.Context { line = context.mark.line }
        }
        return MetricsServerError(
            .duplicateKey,
            "appears more than once in one mapping",
            yamlLine: line,
            key: duplicates.first
        )
    }
}
