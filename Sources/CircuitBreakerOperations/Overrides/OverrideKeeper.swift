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
        /// Saved overrides of breakers not registered yet and of keys not created yet, by target.
        var pending: [OverrideTarget: BreakerOverride]
        /// The group-wide override of each group, by group name: in force for every key of the group, those
        /// created later included, until it expires (an expired one stays here, unsaved, so that the keys' ends
        /// of it are still recognised as the group's).
        var groupOverrides: [String: BreakerOverride] = [:]
        /// The breakers attached, by identity.
        var breakers: [ObjectIdentifier: WeakBreaker] = [:]
        var dirty = false
        var flushScheduled = false
    }

    private struct WeakBreaker: @unchecked Sendable {
        // Safety (@unchecked Sendable): a weak reference to a Sendable class, only read and written under the
        // keeper's lock.
        weak var breaker: CircuitBreaker?
        /// What its override is saved under; `nil` for a group's overflow breaker, which holds only the group's
        /// override.
        let target: OverrideTarget?
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
        var pending: [OverrideTarget: BreakerOverride] = [:]
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
        var groupOverrides: [String: BreakerOverride] = [:]
        for case (.group(let name), let override) in pending { groupOverrides[name] = override }
        pending = pending.filter { if case .group = $0.key { false } else { true } }
        var initial = State(pending: pending)
        initial.groupOverrides = groupOverrides
        self.state = Locked(initial)
        if !pending.isEmpty || !groupOverrides.isEmpty {
            logger.notice(
                "override state file loaded",
                metadata: ["overrides": "\(pending.count)", "group_overrides": "\(groupOverrides.count)"]
            )
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

    /// Saved overrides that no registered breaker or created key has taken yet.
    var pendingOverrides: [OverrideTarget: BreakerOverride] {
        state.withLock { $0.pending }
    }

    /// Follows `breaker` from now on, and applies its saved override, if any (`restored: true`). A key of a group
    /// (`target` `.key`) gets its own saved override or the group-wide one in force, whichever was applied last;
    /// a group's overflow breaker (`target` `nil`, `group` its group's name) gets the group-wide one.
    func attach(_ breaker: CircuitBreaker, target: OverrideTarget?, group: String? = nil) {
        let groupName = group ?? target.flatMap(Self.groupName)
        let (saved, inherited) = state.withLock { state -> (BreakerOverride?, Bool) in
            state.breakers[ObjectIdentifier(breaker)] = WeakBreaker(breaker: breaker, target: target)
            let own = target.flatMap { state.pending.removeValue(forKey: $0) }
            guard let groupName, let groupWide = state.groupOverrides[groupName] else { return (own, false) }
            guard let own, own.appliedAt >= groupWide.appliedAt else { return (groupWide, true) }
            return (own, false)
        }
        guard let saved else { return }
        if inherited {
            // A new key inheriting the group's override: the group's event said it all (``GroupBulkAction``).
            GroupBulkAction.$group.withValue(groupName) { breaker.apply(saved, restored: true) }
            return
        }
        breaker.apply(saved, restored: true)
        guard case .breaker = target else { return }  // a key's restore is not worth a line per key
        logger.notice(
            "override restored: \(saved.actor) \(saved.action) \(breaker.name) until \(AuditLog.time(saved.expiresAt))",
            metadata: AuditLog.metadata(breaker: breaker.name, saved)
        )
    }

    private static func groupName(_ target: OverrideTarget) -> String? {
        if case .key(let group, _) = target { group } else { nil }
    }

    /// The group-wide override of the group called `name`, if one was applied (it may have expired).
    func groupOverride(of name: String) -> BreakerOverride? {
        state.withLock { $0.groupOverrides[name] }
    }

    /// Records `override` as the group-wide override of the group called `name` (`nil` ends it); keys created
    /// from now on get it when they are attached. Applying it to the existing keys is the caller's work.
    func setGroupOverride(_ override: BreakerOverride?, of name: String) {
        state.withLock { $0.groupOverrides[name] = override }
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
            let (attached, pending, groups, write) = state.withLock { state in
                let write = state.dirty || !onlyIfDirty
                state.dirty = false
                state.flushScheduled = false
                let attached = state.breakers.values.compactMap { weak in
                    weak.breaker.flatMap { breaker in weak.target.map { (breaker, $0) } }
                }
                return (attached, state.pending, state.groupOverrides, write)
            }
            guard write else { return }
            let now = clock.wallClockSeconds()
            var overrides = pending.filter { $0.value.expiresAt > now }
            for (name, override) in groups where override.expiresAt > now { overrides[.group(name)] = override }
            // Read outside the keeper's state lock: reading may end an expired override, which reports to the
            // monitors, which mark the file dirty.
            for (breaker, target) in attached {
                guard let active = breaker.activeOverride else { continue }
                // A key holding its group's override is saved once, as the group's.
                if let group = Self.groupName(target), groups[group] == active { continue }
                overrides[target] = active
            }
            try file.save(overrides)
        }
    }
}
