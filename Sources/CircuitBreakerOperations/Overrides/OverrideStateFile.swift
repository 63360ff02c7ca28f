import CircuitBreaker
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The file that keeps operators' overrides across restarts.
///
/// The format is JSON, small and readable by a person in an incident:
/// ```json
/// {"version": 1, "overrides": [{"breaker": "payments", "action": "force_open", "reason": "provider incident",
///   "actor": "alice", "applied_at": 1700000000, "expires_at": 1700001800}]}
/// ```
/// A keyed group's overrides are entries too: `"breaker": "partners", "key": "a.example"` for one key, and
/// `"breaker": "partners", "every_key": true` for the group-wide override.
///
/// **Reading** trusts nothing in the file (see ``OverrideStateDocument``): each entry is checked field by field, and
/// an entry that fails is set aside with its reason while the others load. The file itself must be a regular file
/// owned by the user the process runs as, opened without following a symbolic link: anything else is refused
/// with ``OperationsError/Code/stateFileUnsafe`` and left alone, as is a file that cannot be read
/// (``OperationsError/Code/stateFileUnreadable``: `EACCES`, `EIO`, …). Only a file that was read and is not a state
/// file is corrupt, and moved aside (to `<path>.corrupt-<unix time>-<random>`) by ``moveAside(unixSeconds:)``, so
/// that the next write does not destroy what an operator may want to recover.
///
/// **Writing** is atomic and durable: the content goes to a new temporary file beside it, whose name has 64 random
/// bits and which is created with `O_CREAT | O_EXCL | O_NOFOLLOW` and mode 0600 (so no planted file or link is ever
/// written through), flushed (`fsync`), renamed over the file, and the directory is flushed too. A crash at any
/// moment leaves the old file or the new one, never a mix; every failed step, the directory flush included, is
/// reported as ``OperationsError/Code/stateFileNotWritten``.
struct OverrideStateFile: Sendable {
    /// The path of the file.
    let path: String

    /// What ``load(now:maximumTTL:)`` found.
    struct Loaded: Sendable {
        /// The valid overrides that have not expired, by what they are held on.
        var overrides: [OverrideTarget: BreakerOverride] = [:]
        /// Why each refused entry was refused (the file should then be kept aside for a person to read).
        var rejected: [String] = []
    }

    /// The saved overrides; none when the file does not exist.
    ///
    /// - Parameters:
    ///   - now: the wall-clock time, in Unix seconds: entries that expired are dropped, and an entry may not end
    ///     later than `now + maximumTTL` (plus a minute for clock steps).
    ///   - maximumTTL: the longest override the API allows.
    /// - Throws: ``OperationsError/Code/stateFileUnsafe``, ``OperationsError/Code/stateFileUnreadable`` (leave the
    ///   file in place) or ``OperationsError/Code/stateFileCorrupt`` (the file is not a state file at all: move it
    ///   aside).
    func load(now: Double, maximumTTL: Duration) throws(OperationsError) -> Loaded {
        let bytes: [UInt8]
        switch Self.readOwnRegularFile(path) {
        case .success(let read): bytes = read
        case .failure(.missing): return Loaded()
        case .failure(.unsafe(let why)):
            throw OperationsError(.stateFileUnsafe, "refusing \(path): \(why); it was left as it is")
        case .failure(.system(let number)):
            throw OperationsError(
                .stateFileUnreadable,
                "cannot read \(path): \(Self.describe(number)); it was left as it is"
            )
        }
        return try OverrideStateDocument.parse(bytes, path: path, now: now, maximumTTL: maximumTTL)
    }

    /// Replaces the file with `overrides`, atomically and durably.
    ///
    /// - Throws: ``OperationsError/Code/stateFileNotWritten``.
    func save(_ overrides: [OverrideTarget: BreakerOverride]) throws(OperationsError) {
        let bytes = try OverrideStateDocument.render(overrides)
        var random = SystemRandomNumberGenerator()
        let temporary = "\(path).tmp-\(String(random.next() as UInt64, radix: 16))"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw notWritten("cannot create \(temporary)") }
        var failure: OperationsError?
        bytes.withUnsafeBytes { buffer in
            guard let base = buffer.baseAddress else { return }
            var offset = 0
            while offset < buffer.count, failure == nil {
                let written = write(descriptor, base + offset, buffer.count - offset)
                if written < 0 {
                    if errno != EINTR { failure = notWritten("cannot write \(temporary)") }
                } else {
                    offset += written
                }
            }
        }
        if failure == nil, fsync(descriptor) != 0 { failure = notWritten("cannot flush \(temporary)") }
        if close(descriptor) != 0, failure == nil { failure = notWritten("cannot close \(temporary)") }
        if failure == nil, rename(temporary, path) != 0 { failure = notWritten("cannot rename \(temporary)") }
        if let failure {
            unlink(temporary)
            throw failure
        }
        // The rename is durable once the directory is flushed; a failure here is reported like any other.
        let directoryPath = Self.directory(of: path)
        let directory = open(directoryPath, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard directory >= 0 else { throw notWritten("cannot open the directory \(directoryPath) to flush it") }
        defer { close(directory) }
        guard fsync(directory) == 0 else { throw notWritten("cannot flush the directory \(directoryPath)") }
    }

    /// Renames the file to `<path>.corrupt-<unixSeconds>-<random>`; returns the new path, or the error of the
    /// rename.
    func moveAside(unixSeconds: Int64) -> Result<String, OperationsError> {
        var random = SystemRandomNumberGenerator()
        let target = "\(path).corrupt-\(unixSeconds)-\(String(random.next() as UInt32, radix: 16))"
        guard rename(path, target) == 0 else {
            return .failure(notWritten("cannot move \(path) aside to \(target)"))
        }
        return .success(target)
    }

    private func notWritten(_ what: String) -> OperationsError {
        OperationsError(.stateFileNotWritten, "\(what): \(Self.describe(errno))")
    }

    private static func describe(_ errorNumber: Int32) -> String {
        String(cString: strerror(errorNumber))
    }

    private static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// Why a file was not read.
    private enum ReadFailure: Error {
        /// It does not exist.
        case missing
        /// It is a symbolic link, not a regular file, or another user's.
        case unsafe(String)
        /// The `errno` of a failed open or read.
        case system(Int32)
    }

    /// The whole file, if it is a regular file of this process's user and not a symbolic link. State files are
    /// small: more than 16 MiB is refused (`EFBIG`).
    private static func readOwnRegularFile(_ path: String) -> Result<[UInt8], ReadFailure> {
        // O_NONBLOCK: a FIFO planted at the path must not hang the start.
        let descriptor = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard descriptor >= 0 else {
            let number = errno
            if number == ENOENT { return .failure(.missing) }
            if number == ELOOP { return .failure(.unsafe("it is a symbolic link")) }
            return .failure(.system(number))
        }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { return .failure(.system(errno)) }
        // A directory cannot be read as a file (EISDIR): unreadable, like EACCES. Any other kind of file is unsafe.
        if status.st_mode & S_IFMT == S_IFDIR { return .failure(.system(EISDIR)) }
        guard status.st_mode & S_IFMT == S_IFREG else { return .failure(.unsafe("it is not a regular file")) }
        guard status.st_uid == geteuid() else {
            return .failure(.unsafe("it is owned by uid \(status.st_uid), not by this process's uid \(geteuid())"))
        }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while bytes.count < 16 << 20 {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                return .failure(.system(errno))
            }
            if count == 0 { return .success(bytes) }
            bytes.append(contentsOf: chunk[..<count])
        }
        return .failure(.system(EFBIG))
    }
}
