import Foundation
import Testing
import Yams

@testable import CircuitBreakerOperations
@testable import MetricsExporter

/// `docs/openapi.yaml` stays true: its paths are the route table's, its schemas are the JSON Schema's, and every
/// error code the code can answer is in the schema.
@Suite("OpenAPI description of the operations API")
struct OpenAPIDocumentTests {
    static let docs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("docs")

    static func openAPI() throws -> [String: Any] {
        let text = try String(contentsOf: docs.appendingPathComponent("openapi.yaml"), encoding: .utf8)
        return try #require(try Yams.load(yaml: text) as? [String: Any])
    }

    static func jsonSchema() throws -> [String: Any] {
        let data = try Data(contentsOf: docs.appendingPathComponent("operations-api.schema.json"))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    /// `value` as canonical JSON bytes (sorted keys), with every `$ref` to `#/$defs/` rewritten to the OpenAPI
    /// components, so two documents compare by content.
    static func canonical(_ value: Any, rewriting: Bool) throws -> String {
        func rewrite(_ node: Any) -> Any {
            if let object = node as? [String: Any] {
                var copy: [String: Any] = [:]
                for (key, value) in object {
                    if key == "$ref", rewriting, let reference = value as? String {
                        copy[key] = reference.replacingOccurrences(of: "#/$defs/", with: "#/components/schemas/")
                    } else {
                        copy[key] = rewrite(value)
                    }
                }
                return copy
            }
            if let array = node as? [Any] { return array.map(rewrite) }
            // YAML reads 1 and 1.0 alike; JSON numbers are compared as Doubles.
            if let number = node as? NSNumber, !(node is Bool) { return number.doubleValue }
            return node
        }
        let data = try JSONSerialization.data(withJSONObject: rewrite(value), options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }

    @Test("it is OpenAPI 3.1, and its operations are exactly the route table's")
    func routes() throws {
        let document = try Self.openAPI()
        #expect((document["openapi"] as? String)?.hasPrefix("3.1") == true)
        let paths = try #require(document["paths"] as? [String: [String: Any]])
        var documented: Set<String> = []
        for (path, item) in paths {
            for method in ["get", "post", "put", "patch", "delete"] where item[method] != nil {
                documented.insert("\(method.uppercased()) \(path)")
            }
        }
        let fixture = Fixture()
        let table = Set(
            fixture.operations.routes(for: fixture.registry).flatMap { route in
                route.methods.map { "\($0.rawValue) \(route.path)" }
            }
        )
        #expect(documented == table)
        // Admin routes declare basic auth, read routes do not (they are public without scrape users).
        for route in fixture.operations.routes(for: fixture.registry) {
            for method in route.methods {
                let operation = try #require(paths[route.path]?[method.rawValue.lowercased()] as? [String: Any])
                #expect((operation["security"] != nil) == (route.access == .admin), "\(method) \(route.path)")
            }
        }
    }

    @Test("every error answer of an API operation is the error schema; every success names its schema")
    func responses() throws {
        let paths = try #require(try Self.openAPI()["paths"] as? [String: [String: Any]])
        for (path, item) in paths {
            for (method, value) in item where method != "parameters" {
                let operation = try #require(value as? [String: Any])
                let responses = try #require(operation["responses"] as? [String: [String: Any]])
                for (status, response) in responses {
                    let content = try #require(response["content"] as? [String: [String: Any]], "\(method) \(path)")
                    guard let code = Int(status), code >= 400 else { continue }
                    let json = try #require(content["application/json"]?["schema"] as? [String: String])
                    #expect(json["$ref"] == "#/components/schemas/error", "\(method) \(path) \(status)")
                    // Under /api/ the error object is the only answer; a page's errors may also be plain text.
                    let expected: Set<String> =
                        path.hasPrefix("/api/") ? ["application/json"] : ["application/json", "text/plain"]
                    #expect(Set(content.keys) == expected, "\(method) \(path) \(status)")
                }
                if path.hasPrefix("/api/") {
                    // The gate's answers of every protected operation are documented.
                    let needed: Set<String> = operation["security"] != nil
                        ? ["200", "400", "401", "403", "404", "415", "429", "500", "503"] : ["200", "401", "429", "503"]
                    #expect(needed.isSubset(of: Set(responses.keys)), "\(method) \(path): \(responses.keys.sorted())")
                }
            }
        }
    }

    @Test("components.schemas is the JSON Schema's $defs")
    func schemas() throws {
        let components = try #require(try Self.openAPI()["components"] as? [String: Any])
        let schemas = try #require(components["schemas"])
        let definitions = try #require(try Self.jsonSchema()["$defs"])
        #expect(try Self.canonical(schemas, rewriting: false) == Self.canonical(definitions, rewriting: true))
    }

    @Test("every error code the server can answer is in the schema's enum")
    func errorCodes() throws {
        let definitions = try #require(try Self.jsonSchema()["$defs"] as? [String: Any])
        let error = try #require(definitions["error"] as? [String: Any])
        let inner = try #require((error["properties"] as? [String: Any])?["error"] as? [String: Any])
        let code = try #require((inner["properties"] as? [String: Any])?["code"] as? [String: Any])
        let documented = Set(try #require(code["enum"] as? [String]))
        let gate = Set(FixedResponses.Kind.allCases.map { $0.refusal(realm: "metrics").code } + ["method_not_allowed", "too_many_failed_logins"])
        let operations: Set<String> = [
            "bad_json", "unknown_field", "missing_field", "invalid_field", "unknown_action", "bad_ttl", "ttl_too_long",
            "unknown_breaker", "not_persisted", "too_many_clients", "state_file_unreadable", "state_file_corrupt",
            "state_file_not_written", "state_file_unsafe",
        ]
        #expect(gate.isSubset(of: documented), "\(gate.subtracting(documented))")
        #expect(operations == documented.subtracting(gate))
        for name in operations {
            #expect(OperationsError(Self.code(named: name), "").code.description == name)
        }
    }

    private static func code(named name: String) -> OperationsError.Code {
        let all: [OperationsError.Code] = [
            .badJSON, .unknownField, .missingField, .invalidField, .unknownAction, .badTTL, .ttlTooLong,
            .unknownBreaker, .notPersisted, .tooManyClients, .stateFileUnreadable, .stateFileCorrupt,
            .stateFileNotWritten, .stateFileUnsafe,
        ]
        return all.first { $0.description == name } ?? .badJSON
    }
}
