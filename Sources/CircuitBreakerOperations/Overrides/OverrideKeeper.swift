import CircuitBreaker
import CircuitBreakerInternals
import Logging

/// Keeps the state file in step with the overrides of the breakers: restores saved overrides as breakers are
/// registered, and saves the overrides in force whenever they change.
///
/// The saved content is always read from the breakers themselves when the file is written (plus the saved
/// overrides of breakers not registered yet), so writes need no bookkeeping of their own and the last write always
/// reflects the current state, whatever order concurrent writers ran in. The API writes synchronously before it
/// answers (an override it confirms survives a `kill -9`); changes made elsewhere (an override's expiry noticed by a
/// call, `breaker.reset()` in code) mark the file dirty and are written by a background task, never on the thread
/// that made the call.
final class OverrideKeeper: Sendable {
    private struct State {
        /// Saved overrides of breakers not registered yet, by name.
        var pending: [String: BreakerOverride]
        /// The breakers attached, by identity.
        var breakers: [ObjectIdentifier: WeakBreaker] = [:]
        var dirty = false
        var flushScheduled = false
    }

    private struct WeakBreaker: @unchecked Sendable {
        // Safety (@unchecked Sendable): a weak reference to a Sendable class, only read and written under the
        // keeper's lock.
        weak var breaker: CircuitBreaker?
    }

    /// Where overrides are saved; `nil` keeps them in memory only.
    let file: OverrideStateFile?
    private let clock: BreakerClock
    private let logger: Logger
    private let state: Locked<State>
    /// Serializes writes of the file.
    private let writing = Lock()

    /// Loads the state file, if any, and reports what it could not use (logged as errors, and kept in
    /// ``loadError``); never fatal:
    /// - entries that fail validation are refused and the others load; the file is then moved aside (the next
    ///   write saves the valid ones), so nothing is lost;
    /// - a file that is not a state file at all is moved aside, and the keeper starts with no saved overrides;
    /// - a file that cannot be read (`EACCES`, `EIO`) or is unsafe (a symbolic link, another user's) is left in
    ///   place, and the keeper refuses to write over it: overrides still apply, but the API answers
    ///   ``OperationsError/Code/notPersisted`` until the file is fixed and the service restarted.
    init(file: OverrideStateFile?, maximumTTL: Duration, clock: BreakerClock, logger: Logger) {
        self.file = file
        self.clock = clock
        self.logger = logger
        var pending: [String: BreakerOverride] = [:]
        var loadError: OperationsError?
        var refusesWrites: OperationsError?
        let now = clock.wallClockSeconds()
        if let file {
            var metadata: Logger.Metadata = ["path": "\(file.path)"]
            do {
                let loaded = try file.load(now: now, maximumTTL: maximumTTL)
                pending = loaded.overrides
                if !loaded.rejected.isEmpty {
                    let error = OperationsError(
                        .stateFileCorrupt,
                        "\(file.path): \(loaded.rejected.count) invalid override(s) refused: "
                            + loaded.rejected.prefix(3).joined(separator: "; ")
                    )
                    loadError = error
                    metadata["code"] = "\(error.code)"
                    Self.moveAside(file, now: now, metadata: &metadata)
                    logger.error("override state file: invalid entries refused: \(error.message)", metadata: metadata)
                }
            } catch {
                loadError = error
                metadata["code"] = "\(error.code)"
                if error.code == .stateFileCorrupt {
                    Self.moveAside(file, now: now, metadata: &metadata)
                } else {
                    refusesWrites = error
                }
                logger.error(
                    "override state file ignored; starting without saved overrides: \(error.message)",
                    metadata: metadata
                )
            }
        }
        self.loadError = loadError
        self.refusesWrites = refusesWrites
        self.state = Locked(State(pending: pending))
        if !pending.isEmpty {
            logger.notice("override state file loaded", metadata: ["overrides": "\(pending.count)"])
        }
    }

    private static func moveAside(_ file: OverrideStateFile, now: Double, metadata: inout Logger.Metadata) {
        let unixSeconds = StatusRow.wholeSeconds(now) ?? 0
        switch file.moveAside(unixSeconds: unixSeconds) {
        case .success(let target): metadata["moved_to"] = "\(target)"
        case .failure(let moveError): metadata["move_error"] = "\(moveError)"
        }
    }

    /// Set when the file was left in place (unreadable or unsafe): the keeper never writes over it.
    private let refusesWrites: OperationsError?

    /// Why the state file was ignored at start, if it was.
    let loadError: OperationsError?

    /// Saved overrides that no registered breaker has taken yet.
    var pendingOverrides: [String: BreakerOverride] {
        state.withLock { $0.pending }
    }

    /// Follows `breaker` from now on, and applies its saved override, if any (`restored: true`).
    func attach(_ breaker: CircuitBreaker) {
        let saved = state.withLock { state -> BreakerOverride? in
            state.breakers[ObjectIdentifier(breaker)] = WeakBreaker(breaker: breaker)
            return state.pending.removeValue(forKey: breaker.name)
        }
        guard let saved else { return }
        breaker.apply(saved, restored: true)
        logger.notice(
            "override restored: \(saved.actor) \(saved.action) \(breaker.name) until \(AuditLog.time(saved.expiresAt))",
            metadata: AuditLog.metadata(breaker: breaker.name, saved)
        )
    }

    /// Stops following `breaker`.
    func detach(_ breaker: ObjectIdentifier) {
        state.withLock { _ = $0.breakers.removeValue(forKey: breaker) }
    }

    /// Notes that an override changed outside the API; a background task writes the file.
    func markDirty() {
        guard file != nil else { return }
        let schedule = state.withLock { state -> Bool in
            state.dirty = true
            guard !state.flushScheduled else { return false }
            state.flushScheduled = true
            return true
        }
        guard schedule else { return }
        Task.detached { [self] in
            do throws(OperationsError) {
                try flush(onlyIfDirty: true)
            } catch {
                logger.error("override state file not written: \(error.message)", metadata: ["code": "\(error.code)"])
            }
        }
    }

    /// Writes the file now (a no-op without one), with the overrides in force and those still pending.
    ///
    /// - Throws: ``OperationsError/Code/stateFileNotWritten``.
    func save() throws(OperationsError) {
        try flush(onlyIfDirty: false)
    }

    private func flush(onlyIfDirty: Bool) throws(OperationsError) {
        guard let file else { return }
        if let refusesWrites {
            throw OperationsError(
                .stateFileNotWritten,
                "not writing over \(file.path), which was left in place at start: \(refusesWrites.message)"
            )
        }
        try writing.withLock { () throws(OperationsError) in
            let (breakers, pending, write) = state.withLock { state in
                let write = state.dirty || !onlyIfDirty
                state.dirty = false
                state.flushScheduled = false
                return (state.breakers.values.compactMap(\.breaker), state.pending, write)
            }
            guard write else { return }
            let now = clock.wallClockSeconds()
            var overrides = pending.filter { $0.value.expiresAt > now }
            // Read outside the keeper's state lock: reading may end an expired override, which reports to the
            // monitors, which mark the file dirty.
            for breaker in breakers {
                if let active = breaker.activeOverride { overrides[breaker.name] = active }
            }
            try file.save(overrides)
        }
    }
}
