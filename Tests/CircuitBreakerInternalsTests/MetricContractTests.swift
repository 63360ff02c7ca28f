import CircuitBreakerInternals
import Foundation
import Testing

@Suite struct MetricContractTests {
    /// `docs/metric-contract.json`, found from this file's path.
    static let checkedInFile = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("docs/metric-contract.json")

    static func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        var data = try encoder.encode(["families": MetricContract.families])
        data.append(contentsOf: Array("\n".utf8))
        return data
    }

    /// The checked-in contract is what the code says. When it is not, the test rewrites the file (so that
    /// `git diff` shows the change and the next run passes) and fails: commit the new file.
    @Test func checkedInContractIsUpToDate() throws {
        let expected = try Self.encoded()
        let current = try? Data(contentsOf: Self.checkedInFile)
        if current != expected {
            try expected.write(to: Self.checkedInFile)
        }
        #expect(current == expected, "docs/metric-contract.json was out of date and has been rewritten; commit it")
    }

    @Test func namesFollowThePrometheusConventions() {
        let names = MetricContract.families.map(\.name)
        #expect(Set(names).count == names.count, "a family is listed twice")
        for family in MetricContract.families {
            #expect(family.name.hasPrefix("circuit_breaker_"))
            #expect(family.name.allSatisfy { $0.isLowercase || $0 == "_" }, "\(family.name)")
            #expect((family.kind == .counter) == family.name.hasSuffix("_total"), "\(family.name)")
            if !family.unit.isEmpty, family.unit != "ratio" {
                #expect(family.name.contains("_\(family.unit)"), "\(family.name) lacks its unit \(family.unit)")
            }
            #expect(!family.help.isEmpty)
            if let first = family.labels.first {
                #expect(first.name == "breaker", "\(family.name): breaker is the first label")
            }
        }
    }

    @Test func bothTransitionLabelsListEveryState() throws {
        let labels = MetricContract.transitions.labels
        #expect(labels.map(\.name) == ["breaker", "from", "to"])
        #expect(labels[1].values == StateTable.labels)
        #expect(labels[2].values == StateTable.labels)
    }
}
