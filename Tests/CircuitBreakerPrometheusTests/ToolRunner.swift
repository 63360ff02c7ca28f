import Foundation

/// Runs the real parsers and tools the tests check expositions with (promtool, Python parsers).
enum ToolRunner {
    /// The repository's root folder.
    static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
    }

    /// Runs the tool on a thread of its own, so that waiting for it does not hold one of the few threads of the
    /// cooperative pool that other tests (and their timers) need.
    static func run(_ executable: String, _ arguments: [String], stdin: Data) async throws -> (
        status: Int32, output: String
    ) {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                do {
                    continuation.resume(returning: try runBlocking(executable, arguments, stdin: stdin))
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
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

    private static func runBlocking(_ executable: String, _ arguments: [String], stdin: Data) throws -> (
        status: Int32, output: String
    ) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = output
        try process.run()
        input.fileHandleForWriting.write(stdin)
        try input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
