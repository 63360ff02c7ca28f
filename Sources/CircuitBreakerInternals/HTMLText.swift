/// Text made safe for HTML, for the pages the exporter and the operations module serve.
package enum HTMLText {
    /// `text` escaped for element content and for quoted attribute values: `&`, `<`, `>`, `"` and `'` become
    /// entities, and NUL becomes U+FFFD (a browser would replace it anyway).
    package static func escape(_ text: String) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&#39;"
            case "\0": result += "\u{FFFD}"
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }
}
