import Foundation

/// The samples of an exposition, keyed by everything before the value (`name{labels}`), for assertions.
struct ExpositionSamples {
    let text: String
    let values: [String: Double]
    let helpLines: Set<String>

    init(_ text: String) {
        self.text = text
        var values: [String: Double] = [:]
        var helpLines: Set<String> = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            if line.hasPrefix("# HELP ") {
                helpLines.insert(String(line.dropFirst(7).prefix { $0 != " " }))
                continue
            }
            if line.hasPrefix("#") { continue }
            guard let space = line.lastIndex(of: " ") else { continue }
            values[String(line[..<space])] = Double(line[line.index(after: space)...])
        }
        self.values = values
        self.helpLines = helpLines
    }

    subscript(_ key: String) -> Double? { values[key] }

    /// The keys of the series of family `name` (histogram series included under their suffixed names).
    func keys(of name: String) -> [String] {
        values.keys.filter { $0 == name || $0.hasPrefix(name + "{") }.sorted()
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String { "test failure" }
}
