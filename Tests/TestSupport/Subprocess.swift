import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs a program for a test, with `posix_spawn` rather than Foundation's `Process`.
///
/// `Process.run()` in Swift 6.3.1 on Linux walks `/proc/self/fd` to close descriptors in the child, and crashes
/// (SIGSEGV in `findMaximumOpenFromProcSelfFD`, seen in `scripts/flake-check.sh` runs) when another thread opens or
/// closes descriptors meanwhile, which the servers under test do all the time. Here the child closes every
/// descriptor above 2 itself (`posix_spawn_file_actions_addclosefrom_np`), and the parent only waits.
///
/// Standard input, output and error go through temporary files, so a large output can never fill a pipe. The wait
/// runs on a thread of its own, so it never holds one of the cooperative pool's few threads.
public enum Subprocess {
    /// How a program ended, and what it wrote.
    public struct Result: Sendable {
        /// The exit status, or 128 + the signal that ended it (as a shell reports it).
        public var status: Int32
        /// Its standard output (with standard error too, when they were merged).
        public var output: [UInt8]
        /// Its standard error (empty when merged into the output).
        public var error: [UInt8]
        /// Whether it was killed because it outlived its time limit.
        public var timedOut: Bool
    }

    /// Why a program could not be started.
    public struct SpawnError: Error, CustomStringConvertible {
        /// The program.
        public var executable: String
        /// `errno` from `posix_spawn` or from creating the temporary files.
        public var code: Int32
        /// The error in words.
        public var description: String { "cannot run \(executable): \(String(cString: strerror(code)))" }
    }

    /// Runs `executable` with `arguments` and the parent's environment, feeds it `input`, and waits for it, at most
    /// `timeout` (then SIGKILL).
    ///
    /// - Parameter mergingError: Standard error goes to the same file as standard output.
    public static func run(
        _ executable: String,
        _ arguments: [String],
        input: [UInt8] = [],
        mergingError: Bool = false,
        timeout: Duration
    ) async throws -> Result {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(
                    with: Swift.Result {
                        try runBlocking(executable, arguments, input, mergingError, timeout)
                    }
                )
            }
        }
    }

    private static func runBlocking(
        _ executable: String,
        _ arguments: [String],
        _ input: [UInt8],
        _ mergingError: Bool,
        _ timeout: Duration
    ) throws -> Result {
        var template = Array((NSTemporaryDirectory() + "subprocess-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { throw SpawnError(executable: executable, code: errno) }
        let directory = String(cString: made)
        defer {
            for name in ["in", "out", "err"] { unlink(directory + "/" + name) }
            rmdir(directory)
        }
        try write(input, to: directory + "/in", executable: executable)

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, directory + "/in", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, directory + "/out", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        if mergingError {
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        } else {
            posix_spawn_file_actions_addopen(&actions, 2, directory + "/err", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        }
        if let closeFrom = closeFromAction { _ = closeFrom(&actions, 3) }

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for argument in argv { free(argument) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, nil, argv, environ)
        guard spawned == 0 else { throw SpawnError(executable: executable, code: spawned) }

        let (status, timedOut) = wait(for: pid, timeout: timeout)
        let output = (try? readAll(directory + "/out")) ?? []
        let error = mergingError ? [] : ((try? readAll(directory + "/err")) ?? [])
        return Result(status: status, output: output, error: error, timedOut: timedOut)
    }

    private typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, Int32) -> Int32

    /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34 and later), looked up at run time: the Glibc module
    /// does not declare it. Without it the child inherits only descriptors not marked close-on-exec.
    private static let closeFromAction: CloseFrom? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np")
        else { return nil }
        return unsafeBitCast(symbol, to: CloseFrom.self)
    }()

    /// Polls `waitpid` every few milliseconds until the child ends, killing it at the deadline.
    private static func wait(for pid: pid_t, timeout: Duration) -> (status: Int32, timedOut: Bool) {
        let deadline = ContinuousClock.now + timeout
        var timedOut = false
        var raw: Int32 = 0
        while true {
            let result = waitpid(pid, &raw, timedOut ? 0 : WNOHANG)
            if result == pid { break }
            if result < 0 && errno != EINTR { return (-1, timedOut) }
            if !timedOut && ContinuousClock.now >= deadline {
                kill(pid, SIGKILL)
                timedOut = true
                continue
            }
            usleep(2_000)
        }
        let signal = raw & 0x7f
        return (signal == 0 ? (raw >> 8) & 0xff : 128 + signal, timedOut)
    }

    private static func write(_ bytes: [UInt8], to path: String, executable: String) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw SpawnError(executable: executable, code: errno) }
        defer { close(descriptor) }
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                throw SpawnError(executable: executable, code: errno)
            }
            offset += written
        }
    }

    private static func readAll(_ path: String) throws -> [UInt8] {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw SpawnError(executable: path, code: errno) }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw SpawnError(executable: path, code: errno)
            }
            if count == 0 { return bytes }
            bytes += chunk[..<count]
        }
    }
}
