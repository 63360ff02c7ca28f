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
/// Writes are atomic: the content goes to a temporary file beside it, which is flushed to disk (`fsync`) and
/// renamed over the file, and the directory is flushed too, so a crash at any moment leaves the old file or the new
/// one, never a mix. A file that cannot be read or parsed is moved aside (to `<path>.corrupt-<unix time>`) by
/// ``moveAside()``, so that the next write does not destroy what an operator may want to recover.
struct OverrideStateFile: Sendable {
    /// The path of the file.
    let path: String

    /// The saved overrides; an empty list when the file does not exist.
    ///
    /// - Throws: ``OperationsError/Code/stateFileUnreadable`` or ``OperationsError/Code/stateFileCorrupt``.
    func load() throws(OperationsError) -> [String: BreakerOverride] {
        let bytes: [UInt8]
        switch Self.readAll(path) {
        case .success(let read): bytes = read
        case .failure(let failure) where failure.number == ENOENT: return [:]
        case .failure(let failure):
            throw OperationsError(.stateFileUnreadable, "cannot read \(path): \(Self.describe(failure.number))")
        }
        let document: SavedOverrides
        do {
            document = try JSONDecoder().decode(SavedOverrides.self, from: Data(bytes))
        } catch {
            throw OperationsError(.stateFileCorrupt, "\(path) is not an override state file: \(error)")
        }
        guard document.version == SavedOverrides.currentVersion else {
            throw OperationsError(.stateFileCorrupt, "\(path) has version \(document.version), expected 1")
        }
        var overrides: [String: BreakerOverride] = [:]
        for entry in document.overrides {
            guard let action = BreakerOverride.Action(rawValue: entry.action), action != .reset,
                entry.appliedAt.isFinite, entry.expiresAt.isFinite
            else {
                throw OperationsError(.stateFileCorrupt, "\(path): invalid override for \"\(entry.breaker)\"")
            }
            overrides[entry.breaker] = BreakerOverride(
                action: action,
                reason: entry.reason,
                actor: entry.actor,
                appliedAt: entry.appliedAt,
                expiresAt: entry.expiresAt
            )
        }
        return overrides
    }

    /// Replaces the file with `overrides`, atomically and durably.
    ///
    /// - Throws: ``OperationsError/Code/stateFileNotWritten``.
    func save(_ overrides: [String: BreakerOverride]) throws(OperationsError) {
        let document = SavedOverrides(
            version: SavedOverrides.currentVersion,
            overrides: overrides.keys.sorted().compactMap { name in
                overrides[name].map { SavedOverrides.Entry(breaker: name, $0) }
            }
        )
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let bytes: Data
        do {
            bytes = try encoder.encode(document)
        } catch {
            throw OperationsError(.stateFileNotWritten, "cannot encode the overrides: \(error)")
        }
        let temporary = path + ".tmp"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
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
        close(descriptor)
        if failure == nil, rename(temporary, path) != 0 { failure = notWritten("cannot rename \(temporary)") }
        if let failure {
            unlink(temporary)
            throw failure
        }
        // The rename is durable once the directory is flushed.
        let directory = open(Self.directory(of: path), O_RDONLY | O_CLOEXEC)
        if directory >= 0 {
            fsync(directory)
            close(directory)
        }
    }

    /// Renames the file to `<path>.corrupt-<unixSeconds>`; returns the new path, or the error of the rename.
    func moveAside(unixSeconds: Int) -> Result<String, OperationsError> {
        let target = "\(path).corrupt-\(unixSeconds)"
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

    /// The whole file, or the `errno` of the failure. State files are small: reading stops at 16 MiB.
    private static func readAll(_ path: String) -> Result<[UInt8], SystemError> {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return .failure(SystemError(number: errno)) }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while bytes.count < 16 << 20 {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                return .failure(SystemError(number: errno))
            }
            if count == 0 { return .success(bytes) }
            bytes.append(contentsOf: chunk[..<count])
        }
        return .failure(SystemError(number: EFBIG))
    }
}

/// An `errno` value.
private struct SystemError: Error {
    let number: Int32
}

/// The JSON document of the state file.
private struct SavedOverrides: Codable {
    static let currentVersion = 1

    struct Entry: Codable {
        let breaker: String
        let action: String
        let reason: String
        let actor: String
        let appliedAt: Double
        let expiresAt: Double

        init(breaker: String, _ override: BreakerOverride) {
            self.breaker = breaker
            self.action = override.action.rawValue
            self.reason = override.reason
            self.actor = override.actor
            self.appliedAt = override.appliedAt
            self.expiresAt = override.expiresAt
        }

        private enum CodingKeys: String, CodingKey {
            case breaker, action, reason, actor
            case appliedAt = "applied_at"
            case expiresAt = "expires_at"
        }
    }

    let version: Int
    let overrides: [Entry]
}
