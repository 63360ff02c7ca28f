/// A route's path: literal segments and `{name}` parameters, such as `/api/v1/breakers/{name}`.
///
/// Literal segments are compared with the request path byte for byte, still percent-encoded, so an encoded path
/// never reaches a route by another spelling. A parameter takes one whole segment and its value is percent-decoded:
/// an encoded `/` (`%2F`) stays inside the value. `/` alone is the root, with no segments; a trailing `/` is a
/// segment of its own (empty), so `/a/` is not `/a`.
package struct PathPattern: Hashable, Sendable, CustomStringConvertible {
    /// One segment of a pattern.
    package enum Segment: Hashable, Sendable {
        case literal([UInt8])
        case parameter(String)
    }

    /// Why a pattern is refused.
    package struct Invalid: Error, Hashable, Sendable, CustomStringConvertible {
        /// For example `path 'a/b': must start with '/'`.
        package let description: String
    }

    /// The pattern as written.
    package let description: String
    /// The segments after the first `/`.
    package let segments: [Segment]

    /// The parameters' names, in order.
    package var parameterNames: [String] {
        self.segments.compactMap { if case .parameter(let name) = $0 { name } else { nil } }
    }

    /// The pattern with parameter names erased: two routes with the same shape claim the same requests.
    package var shape: [Segment] {
        self.segments.map { if case .parameter = $0 { .parameter("") } else { $0 } }
    }

    /// Parses and checks a pattern; throws ``Invalid`` naming the fault.
    package init(_ text: String) throws(Invalid) {
        func invalid(_ reason: String) -> Invalid {
            Invalid(description: "path '\(text)': \(reason)")
        }
        guard text.hasPrefix("/") else { throw invalid("must start with '/'") }
        self.description = text
        guard text != "/" else {
            self.segments = []
            return
        }
        var segments: [Segment] = []
        var names: Set<String> = []
        for piece in text.utf8.dropFirst().split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false) {
            if piece.first == UInt8(ascii: "{") {
                guard piece.last == UInt8(ascii: "}"), piece.count > 2 else {
                    throw invalid("a parameter is a whole segment '{name}'")
                }
                let name = String(decoding: piece.dropFirst().dropLast(), as: UTF8.self)
                guard Self.isIdentifier(name) else { throw invalid("parameter '\(name)' is not an identifier") }
                guard names.insert(name).inserted else { throw invalid("parameter '\(name)' appears twice") }
                segments.append(.parameter(name))
            } else {
                guard piece.allSatisfy(Self.isLiteralByte) else {
                    throw invalid("a literal segment holds only letters, digits and -._~!$&'()*+,;=:@")
                }
                segments.append(.literal(Array(piece)))
            }
        }
        if segments.dropLast().contains(.literal([])) { throw invalid("empty segment ('//')") }
        self.segments = segments
    }

    /// Matches a request path (percent-encoded, without the query string); returns each parameter's name and raw
    /// (still encoded) value, or `nil` when the path does not match.
    package func match(_ path: UnsafeBufferPointer<UInt8>) -> [(name: String, raw: ArraySlice<UInt8>)]? {
        guard path.first == UInt8(ascii: "/") else { return nil }
        if self.segments.isEmpty { return path.count == 1 ? [] : nil }
        var parameters: [(name: String, raw: ArraySlice<UInt8>)] = []
        var start = 1
        for (index, segment) in self.segments.enumerated() {
            guard start <= path.count else { return nil }
            var end = start
            while end < path.count, path[end] != UInt8(ascii: "/") { end += 1 }
            let isLast = index == self.segments.count - 1
            if isLast, end != path.count { return nil }
            switch segment {
            case .literal(let bytes):
                guard end - start == bytes.count,
                    bytes.withUnsafeBufferPointer({ literal in
                        (0..<literal.count).allSatisfy { literal[$0] == path[start + $0] }
                    })
                else { return nil }
            case .parameter(let name):
                parameters.append((name, ArraySlice(UnsafeBufferPointer(rebasing: path[start..<end]))))
            }
            start = end + 1
        }
        return parameters
    }

    /// Whether this pattern is preferred over `other` for a path both match: at the first segment where they
    /// differ in kind, a literal beats a parameter.
    package func isMoreSpecific(than other: PathPattern) -> Bool {
        for (mine, theirs) in zip(self.segments, other.segments) {
            switch (mine, theirs) {
            case (.literal, .parameter): return true
            case (.parameter, .literal): return false
            default: continue
            }
        }
        return false
    }

    private static func isIdentifier(_ name: String) -> Bool {
        guard let first = name.utf8.first, first == UInt8(ascii: "_") || isLetter(first) else { return false }
        return name.utf8.allSatisfy { $0 == UInt8(ascii: "_") || isLetter($0) || isDigit($0) }
    }

    private static func isLiteralByte(_ byte: UInt8) -> Bool {
        isLetter(byte) || isDigit(byte) || Array("-._~!$&'()*+,;=:@".utf8).contains(byte)
    }
}

@inline(__always)
private func isLetter(_ byte: UInt8) -> Bool {
    (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
}

@inline(__always)
private func isDigit(_ byte: UInt8) -> Bool {
    (0x30...0x39).contains(byte)
}

extension PathPattern {
    /// Matches `path` (percent-encoded, without the query string) and decodes the parameters: `nil` when it does
    /// not match, ``Match/badEncoding`` when a parameter is not valid percent-encoded UTF-8.
    package func decodedMatch(_ path: String) -> Match {
        var path = path
        return path.withUTF8 { bytes in
            guard let raw = self.match(bytes) else { return .noMatch }
            var parameters: [String: String] = [:]
            for (name, value) in raw {
                guard let decoded = percentDecoded(value) else { return .badEncoding }
                parameters[name] = decoded
            }
            return .parameters(parameters)
        }
    }

    /// What ``decodedMatch(_:)`` found.
    package enum Match: Equatable, Sendable {
        /// The path does not match.
        case noMatch
        /// A parameter is not valid percent-encoded UTF-8 (answer 400).
        case badEncoding
        /// The path matches, with these decoded parameters.
        case parameters([String: String])
    }
}
