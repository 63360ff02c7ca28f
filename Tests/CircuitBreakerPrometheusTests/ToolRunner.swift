import Foundation
import TestSupport

/// Runs the real parsers and tools the tests check expositions with (promtool, Python parsers).
enum ToolRunner {
    /// The repository's root folder.
    static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
    }

    /// Runs the tool with `stdin` as its input, its output and errors merged (``Subprocess``: posix_spawn on a
    /// thread of its own, so that waiting does not hold one of the cooperative pool's few threads).
    static func run(_ executable: String, _ arguments: [String], stdin: Data) async throws -> (
        status: Int32, output: String
    ) {
        let result = try await Subprocess.run(
            executable,
            arguments,
            input: [UInt8](stdin),
            mergingError: true,
            timeout: .seconds(120)
        )
        return (result.status, String(decoding: result.output, as: UTF8.self))
    }

    /// Writes `bytes` to a temporary file, runs `script` (relative to the repository) on it with bash, and removes
    /// the file.
    static func check(_ bytes: [UInt8], with script: String, suffix: String) async throws -> (
        status: Int32, output: String
    ) {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("exposition-\(UUID()).\(suffix)")
        try Data(bytes).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let path = repositoryRoot.appendingPathComponent(script).path
        return try await run("/bin/bash", [path, file.path], stdin: Data())
    }
}
