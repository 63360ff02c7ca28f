import PortableRoutes

/// One element of a comma-separated header value with parameters, such as `gzip;q=0.5` in `Accept-Encoding` or
/// `application/openmetrics-text; version=1.0.0; q=0.5` in `Accept`.
package struct HeaderElement {
    /// The token (a coding, a media range), lower-cased.
    package let token: String
    /// The parameters other than `q`, names lower-cased, quotes removed.
    package let parameters: [String: String]
    /// The quality, 0...1 (1 when absent, 0 when malformed).
    package let quality: Double
    /// The element's place in the header, from 0.
    package let position: Int

    /// The elements of a header value, in order; empty elements are skipped.
    package static func parse(_ bytes: some Collection<UInt8>) -> [HeaderElement] {
        var elements: [HeaderElement] = []
        for element in bytes.split(separator: UInt8(ascii: ",")) {
            let parts = element.split(separator: UInt8(ascii: ";"))
            guard let first = parts.first else { continue }
            let token = trimmed(first).lowercased()
            guard !token.isEmpty else { continue }
            var parameters: [String: String] = [:]
            var quality = 1.0
            for part in parts.dropFirst() {
                let text = trimmed(part)
                guard let equals = text.firstIndex(of: "=") else { continue }
                let name = text[..<equals].trimmingSpaces().lowercased()
                var value = text[text.index(after: equals)...].trimmingSpaces()
                if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") {
                    value = String(value.dropFirst().dropLast())
                }
                if name == "q" {
                    quality = Double(value).map { min(max($0, 0), 1) } ?? 0
                } else {
                    parameters[name] = value
                }
            }
            elements.append(
                HeaderElement(token: token, parameters: parameters, quality: quality, position: elements.count)
            )
        }
        return elements
    }

    private static func trimmed(_ bytes: some Collection<UInt8>) -> String {
        String(decoding: bytes, as: UTF8.self).trimmingSpaces()
    }
}

/// Whether an `Accept-Encoding` header value accepts gzip: `gzip`, `x-gzip` or `*` with a non-zero quality, unless
/// gzip itself is listed with quality 0.
package func acceptsGzip(_ header: some Collection<UInt8>) -> Bool {
    var gzip: Bool? = nil
    var wildcard = false
    for element in HeaderElement.parse(header) {
        switch element.token {
        case "gzip", "x-gzip": gzip = (gzip ?? false) || element.quality > 0
        case "*": wildcard = element.quality > 0
        default: break
        }
    }
    return gzip ?? wildcard
}
