/// A node of the small YAML subset a web configuration file needs: block mappings of scalars.
enum YAMLNode: Equatable {
    /// A scalar; `quoted` is true when it was written in quotes (so `"null"` stays a string).
    case scalar(String, quoted: Bool, line: Int)
    /// A block mapping, keys in file order.
    case mapping([(key: String, value: YAMLNode, line: Int)], line: Int)
    /// An empty value (`key:` with nothing under it, `~`, `null`).
    case null(line: Int)

    var line: Int {
        switch self {
        case .scalar(_, _, let line), .mapping(_, let line), .null(let line): line
        }
    }

    static func == (lhs: YAMLNode, rhs: YAMLNode) -> Bool {
        switch (lhs, rhs) {
        case (.scalar(let a, let qa, _), .scalar(let b, let qb, _)): a == b && qa == qb
        case (.null, .null): true
        case (.mapping(let a, _), .mapping(let b, _)):
            a.count == b.count && zip(a, b).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        default: false
        }
    }
}

/// Parses the YAML subset of Prometheus web configuration files: nested block mappings whose values are plain,
/// single-quoted or double-quoted scalars, with comments and an optional `---` document marker. Anything else is
/// refused with a line number rather than guessed at.
struct YAMLSubsetParser {
    private struct Line {
        let number: Int
        let indent: Int
        let content: String  // without indentation and comment, trailing spaces trimmed
    }

    private var lines: [Line] = []
    private var position = 0

    static func parse(_ text: String) throws(WebConfigurationError) -> YAMLNode {
        var parser = YAMLSubsetParser()
        try parser.split(text)
        guard !parser.lines.isEmpty else { return .null(line: 1) }
        let first = parser.lines[0]
        guard first.indent == 0 else {
            throw WebConfigurationError(.syntax, "the document must start at column 1", line: first.number)
        }
        let root = try parser.parseMapping(indent: 0)
        if parser.position < parser.lines.count {
            let line = parser.lines[parser.position]
            throw WebConfigurationError(.syntax, "unexpected indentation", line: line.number)
        }
        return root
    }

    private mutating func split(_ text: String) throws(WebConfigurationError) {
        var number = 0
        var sawDocumentEnd = false
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            number += 1
            var line = Substring(rawLine)
            if line.last == "\r" { line = line.dropLast() }
            if number == 1, line.hasPrefix("\u{FEFF}") { line = line.dropFirst() }
            let indentation = line.prefix { $0 == " " || $0 == "\t" }
            if indentation.contains("\t") {
                throw WebConfigurationError(.syntax, "tabs are not allowed in indentation", line: number)
            }
            let content = try Self.stripComment(line.dropFirst(indentation.count), line: number)
            if content.isEmpty { continue }
            if indentation.isEmpty, content == "---" {
                if !self.lines.isEmpty || sawDocumentEnd {
                    throw WebConfigurationError(.unsupportedSyntax, "only one YAML document is allowed", line: number)
                }
                continue
            }
            if indentation.isEmpty, content == "..." {
                sawDocumentEnd = true
                continue
            }
            if sawDocumentEnd {
                throw WebConfigurationError(.syntax, "content after the end of the document", line: number)
            }
            if content.hasPrefix("%") {
                throw WebConfigurationError(.unsupportedSyntax, "YAML directives are not supported", line: number)
            }
            self.lines.append(Line(number: number, indent: indentation.count, content: content))
        }
    }

    /// Removes a `#` comment (at the start or after a space, outside quotes) and trailing blanks.
    private static func stripComment(_ text: Substring, line: Int) throws(WebConfigurationError) -> String {
        var quote: Character? = nil
        var previous: Character = " "
        var end = text.endIndex
        var index = text.startIndex
        while index < text.endIndex {
            let character = text[index]
            if let open = quote {
                if character == open {
                    if open == "'", text.index(after: index) < text.endIndex,
                        text[text.index(after: index)] == "'"
                    {
                        index = text.index(after: index)  // '' inside a single-quoted scalar
                    } else {
                        quote = nil
                    }
                } else if open == "\"", character == "\\" {
                    index = text.index(after: index)
                    if index == text.endIndex { break }
                }
            } else if character == "#", previous == " " || previous == "\t" {
                end = index
                break
            } else if character == "\"" || character == "'",
                previous == " " || previous == ":" || index == text.startIndex
            {
                quote = character
            }
            previous = character
            index = text.index(after: index)
        }
        var result = text[text.startIndex..<end]
        while let last = result.last, last == " " || last == "\t" { result = result.dropLast() }
        return String(result)
    }

    private mutating func parseMapping(indent: Int) throws(WebConfigurationError) -> YAMLNode {
        let startLine = self.lines[self.position].number
        var entries: [(key: String, value: YAMLNode, line: Int)] = []
        var seen: Set<String> = []
        while self.position < self.lines.count {
            let line = self.lines[self.position]
            if line.indent < indent { break }
            if line.indent > indent {
                throw WebConfigurationError(.syntax, "unexpected indentation", line: line.number)
            }
            if line.content == "-" || line.content.hasPrefix("- ") {
                throw WebConfigurationError(.unsupportedSyntax, "sequences are not supported", line: line.number)
            }
            let (key, rest) = try Self.splitKey(line.content, line: line.number)
            guard seen.insert(key).inserted else {
                throw WebConfigurationError(.duplicateKey, "key '\(key)' appears twice", line: line.number)
            }
            self.position += 1
            let value: YAMLNode
            if rest.isEmpty {
                if self.position < self.lines.count, self.lines[self.position].indent > indent {
                    let childIndent = self.lines[self.position].indent
                    let child = self.lines[self.position]
                    if child.content == "-" || child.content.hasPrefix("- ") {
                        throw WebConfigurationError(
                            .unsupportedSyntax,
                            "sequences are not supported",
                            line: child.number
                        )
                    }
                    value = try self.parseMapping(indent: childIndent)
                } else {
                    value = .null(line: line.number)
                }
            } else {
                value = try Self.parseScalar(rest, line: line.number)
                if self.position < self.lines.count, self.lines[self.position].indent > indent {
                    throw WebConfigurationError(
                        .unsupportedSyntax,
                        "multi-line scalars are not supported",
                        line: self.lines[self.position].number
                    )
                }
            }
            entries.append((key: key, value: value, line: line.number))
        }
        return .mapping(entries, line: startLine)
    }

    /// Splits `key: rest`; the key may be quoted.
    private static func splitKey(_ content: String, line: Int) throws(WebConfigurationError) -> (String, String) {
        if content.hasPrefix("? ") || content == "?" {
            throw WebConfigurationError(.unsupportedSyntax, "complex keys are not supported", line: line)
        }
        if let first = content.first, first == "\"" || first == "'" {
            let (key, consumed) = try parseQuoted(Substring(content), line: line)
            let after = content.dropFirst(consumed)
            guard after.hasPrefix(":"), after.count == 1 || after.dropFirst().first == " " else {
                throw WebConfigurationError(.syntax, "expected ':' after the quoted key", line: line)
            }
            return (key, String(after.dropFirst().drop { $0 == " " }))
        }
        var index = content.startIndex
        while index < content.endIndex {
            if content[index] == ":" {
                let next = content.index(after: index)
                if next == content.endIndex || content[next] == " " {
                    let key = String(content[content.startIndex..<index].reversed().drop { $0 == " " }.reversed())
                    guard !key.isEmpty else {
                        throw WebConfigurationError(.syntax, "empty key", line: line)
                    }
                    if let first = key.first, "[{&*!|>@`".contains(first) {
                        throw WebConfigurationError(.unsupportedSyntax, "unsupported key syntax '\(key)'", line: line)
                    }
                    return (key, String(content[next...].drop { $0 == " " }))
                }
            }
            index = content.index(after: index)
        }
        throw WebConfigurationError(.syntax, "expected 'key: value'", line: line)
    }

    private static func parseScalar(_ text: String, line: Int) throws(WebConfigurationError) -> YAMLNode {
        guard let first = text.first else { return .null(line: line) }
        if first == "\"" || first == "'" {
            let (value, consumed) = try parseQuoted(Substring(text), line: line)
            guard consumed == text.count else {
                throw WebConfigurationError(.syntax, "unexpected text after the closing quote", line: line)
            }
            return .scalar(value, quoted: true, line: line)
        }
        switch first {
        case "[", "{":
            throw WebConfigurationError(.unsupportedSyntax, "flow collections are not supported", line: line)
        case "&", "*":
            throw WebConfigurationError(.unsupportedSyntax, "anchors and aliases are not supported", line: line)
        case "!":
            throw WebConfigurationError(.unsupportedSyntax, "tags are not supported", line: line)
        case "|", ">":
            throw WebConfigurationError(.unsupportedSyntax, "block scalars are not supported", line: line)
        case "@", "`":
            throw WebConfigurationError(.syntax, "a plain scalar cannot start with '\(first)'", line: line)
        default:
            break
        }
        if text.contains(": ") {
            throw WebConfigurationError(.syntax, "a value cannot hold ': ' unless quoted", line: line)
        }
        if text == "~" || text == "null" || text == "Null" || text == "NULL" { return .null(line: line) }
        return .scalar(text, quoted: false, line: line)
    }

    /// Parses a quoted scalar at the start of `text`; returns the value and the characters consumed.
    private static func parseQuoted(_ text: Substring, line: Int) throws(WebConfigurationError) -> (String, Int) {
        guard let quote = text.first else { return ("", 0) }
        var value = ""
        var index = text.index(after: text.startIndex)
        var consumed = 1
        while index < text.endIndex {
            let character = text[index]
            index = text.index(after: index)
            consumed += 1
            if character == quote {
                if quote == "'", index < text.endIndex, text[index] == "'" {
                    value.append("'")
                    index = text.index(after: index)
                    consumed += 1
                    continue
                }
                return (value, consumed)
            }
            if quote == "\"", character == "\\" {
                guard index < text.endIndex else { break }
                let escaped = text[index]
                index = text.index(after: index)
                consumed += 1
                switch escaped {
                case "\\": value.append("\\")
                case "\"": value.append("\"")
                case "/": value.append("/")
                case "n": value.append("\n")
                case "t": value.append("\t")
                case "r": value.append("\r")
                case "0": value.append("\0")
                case " ": value.append(" ")
                case "u":
                    let hex = text[index...].prefix(4)
                    guard hex.count == 4, let scalar = UInt32(hex, radix: 16).flatMap(Unicode.Scalar.init) else {
                        throw WebConfigurationError(.syntax, "invalid \\u escape", line: line)
                    }
                    value.unicodeScalars.append(scalar)
                    index = text.index(index, offsetBy: 4)
                    consumed += 4
                default:
                    throw WebConfigurationError(.syntax, "unsupported escape '\\\(escaped)'", line: line)
                }
                continue
            }
            value.append(character)
        }
        throw WebConfigurationError(.syntax, "unterminated quoted string", line: line)
    }
}
