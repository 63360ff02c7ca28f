import CircuitBreaker

/// The status API's groups: `GET /api/v1/groups` (every group, summed up, with its keys that are not closed) and
/// `GET /api/v1/groups/{group}` (one group with a page of its keys), and `GET /api/v1/groups/{group}/keys/{key}`.
extension StatusRenderer {
    /// A group the routes can show, with the operations monitor bound to it (`nil` when the group was made without
    /// the operations' monitors: it is listed, but has no transition history or saved overrides).
    struct GroupEntry {
        let group: BreakerGroup
        let monitor: GroupOperationsMonitor?
    }

    /// The most keys that are not closed a group's summary lists (`not_closed_keys`; `keys_not_closed` counts
    /// them all).
    static let notClosedKeysInSummary = 20

    /// The registry's groups and the groups the operations monitor is attached to, sorted by name; when two
    /// share a name, the registry's.
    func groupEntries() -> [GroupEntry] {
        var entries: [String: GroupEntry] = [:]
        for found in monitor.groups.all() where entries[found.group.name] == nil {
            entries[found.group.name] = GroupEntry(group: found.group, monitor: found.monitor)
        }
        for group in registry.groups {
            entries[group.name] = GroupEntry(group: group, monitor: monitor.groups.monitor(of: group))
        }
        return entries.values.sorted { $0.group.name < $1.group.name }
    }

    /// The group called `name`.
    ///
    /// - Throws: ``OperationsError/Code/unknownGroup``.
    func groupEntry(named name: String) throws(OperationsError) -> GroupEntry {
        if let group = registry.existingGroup(named: name) {
            return GroupEntry(group: group, monitor: monitor.groups.monitor(of: group))
        }
        guard let found = monitor.groups.all().first(where: { $0.group.name == name }) else {
            throw OperationsError(.unknownGroup, "no breaker group is called \(OverrideTarget.quoted(name))")
        }
        return GroupEntry(group: found.group, monitor: found.monitor)
    }

    /// The breaker of `key` in `entry`'s group; creates nothing.
    ///
    /// - Throws: ``OperationsError/Code/keyTooLong`` or ``OperationsError/Code/unknownKey``.
    static func keyBreaker(_ key: String, in entry: GroupEntry) throws(OperationsError) -> CircuitBreaker {
        let limit = entry.group.configuration.maximumKeyLength
        guard key.utf8.count <= limit else {
            throw OperationsError(
                .keyTooLong,
                "the key has \(key.utf8.count) bytes; group \(OverrideTarget.quoted(entry.group.name)) takes keys of "
                    + "at most \(limit)"
            )
        }
        guard let breaker = entry.group.existingBreaker(for: key) else {
            throw OperationsError(
                .unknownKey,
                "group \(OverrideTarget.quoted(entry.group.name)) holds no key \(OverrideTarget.quoted(key))"
            )
        }
        return breaker
    }

    /// The status of one of `entry`'s breakers (a key's, or the overflow breaker).
    func status(of breaker: CircuitBreaker, in entry: GroupEntry) -> BreakerStatus {
        let identity = BreakerIdentity(name: entry.group.name, scope: breaker.key.map { .key($0) } ?? .overflow)
        let counter = calls?.counter(of: entry.group)
        return BreakerStatus(
            snapshot: breaker.snapshot(),
            configuration: breaker.configuration,
            policy: breaker.configuration == entry.group.template ? entry.monitor?.templatePolicy : nil,
            calls: calls.map { _ in counter?.counts(of: breaker.key) ?? CallCounts() },
            recentTransitions: monitor.history.recentTransitions(of: identity),
            group: entry.group.name,
            key: breaker.key
        )
    }

    /// The group's keys in byte order, with their states now (settled: an open key whose wait elapsed reads
    /// half-open).
    private func keysWithStates(_ group: BreakerGroup) -> [(breaker: CircuitBreaker, state: CircuitState)] {
        group.breakers
            .map { (breaker: $0, state: $0.state) }
            .sorted { ($0.breaker.key ?? "").precedesByBytes($1.breaker.key ?? "") }
    }

    /// The group-wide override in force, if any.
    func groupOverride(of entry: GroupEntry) -> BreakerOverride? {
        guard entry.monitor != nil, let override = monitor.keeper.groupOverride(of: entry.group.name),
            override.expiresAt > entry.group.clock.wallClockSeconds()
        else { return nil }
        return override
    }

    /// Writes the fields every group document has (the summary), and returns the keys with their states.
    @discardableResult
    private func writeSummaryFields(
        of entry: GroupEntry,
        keys: [(breaker: CircuitBreaker, state: CircuitState)],
        to json: inout JSONWriter
    ) -> Int {
        let group = entry.group
        json.key("name")
        json.string(group.name)
        json.key("key_count")
        json.integer(keys.count)
        json.key("maximum_keys")
        json.integer(group.configuration.maximumKeys)
        json.key("maximum_key_length")
        json.integer(group.configuration.maximumKeyLength)
        json.key("evictions")
        json.integer(group.evictions)
        json.key("overflows")
        json.integer(group.overflows)
        json.key("overflow_policy")
        json.string(group.configuration.overflow.description)
        json.key("policy")
        json.raw(entry.monitor?.templatePolicy ?? PolicyStatus.render(group.template))
        json.key("override")
        if let override = groupOverride(of: entry) {
            json.beginObject()
            json.fields(of: override)
            json.key("applied_at")
            json.number(override.appliedAt)
            json.endObject()
        } else {
            json.null()
        }
        var counts = [Int](repeating: 0, count: CircuitState.allCases.count)
        for key in keys { counts[Int(key.state.rawValue)] += 1 }
        json.key("state_counts")
        json.beginObject()
        for state in CircuitState.allCases {
            json.key(Self.stateKey(state))
            json.integer(counts[Int(state.rawValue)])
        }
        json.endObject()
        json.key("keys_not_closed")
        let notClosed = keys.count - counts[Int(CircuitState.closed.rawValue)]
        json.integer(notClosed)
        json.key("overflow_breaker")
        if let overflow = group.overflowBreaker {
            status(of: overflow, in: entry).write(to: &json)
        } else {
            json.null()
        }
        return notClosed
    }

    private static func stateKey(_ state: CircuitState) -> StaticString {
        switch state {
        case .closed: "closed"
        case .open: "open"
        case .halfOpen: "half_open"
        case .forcedOpen: "forced_open"
        case .disabled: "disabled"
        }
    }

    /// A group's summary object, as `GET /api/v1/groups` lists it: with up to ``notClosedKeysInSummary`` keys that
    /// are not closed.
    func writeSummary(of entry: GroupEntry, to json: inout JSONWriter) {
        let summary = summary(of: entry)
        json.beginObject()
        writeSummaryFields(of: entry, keys: summary.keys, to: &json)
        json.key("not_closed_keys")
        json.beginArray()
        for status in summary.notClosed { status.write(to: &json) }
        json.endArray()
        json.endObject()
    }

    /// What the status page shows of a group.
    struct GroupSummary {
        let group: BreakerGroup
        let keys: [(breaker: CircuitBreaker, state: CircuitState)]
        /// The number of keys in each state, by the state's raw value.
        let stateCounts: [Int]
        let override: BreakerOverride?
        /// The first ``StatusRenderer/notClosedKeysInSummary`` keys that are not closed.
        let notClosed: [BreakerStatus]
        /// How many keys are not closed.
        var notClosedCount: Int { keys.count - stateCounts[Int(CircuitState.closed.rawValue)] }
    }

    /// The summary of `entry`'s group now.
    func summary(of entry: GroupEntry) -> GroupSummary {
        let keys = keysWithStates(entry.group)
        var counts = [Int](repeating: 0, count: CircuitState.allCases.count)
        for key in keys { counts[Int(key.state.rawValue)] += 1 }
        let notClosed = keys.lazy.filter { $0.state != .closed }.prefix(Self.notClosedKeysInSummary)
            .map { status(of: $0.breaker, in: entry) }
        return GroupSummary(
            group: entry.group,
            keys: keys,
            stateCounts: counts,
            override: groupOverride(of: entry),
            notClosed: Array(notClosed)
        )
    }

    /// The summary of every group, for the status page.
    func groupSummaries() -> [GroupSummary] {
        groupEntries().map(summary(of:))
    }

    /// The document of `GET /api/v1/groups`.
    func renderGroupList() -> [UInt8] {
        let entries = groupEntries()
        var json = JSONWriter(capacity: 2_048 + entries.count * 4_096)
        json.beginObject()
        json.key("generated_at")
        json.number(registry.clock.wallClockSeconds())
        json.key("groups")
        json.beginArray()
        for entry in entries { writeSummary(of: entry, to: &json) }
        json.endArray()
        json.endObject()
        return json.bytes
    }

    /// The document of `GET /api/v1/groups/{group}`: the summary and one page of keys.
    ///
    /// - Throws: ``OperationsError/Code/unknownGroup``.
    func renderGroup(named name: String, page: KeyPageQuery) throws(OperationsError) -> [UInt8] {
        let entry = try groupEntry(named: name)
        let keys = keysWithStates(entry.group)
        let matching = keys.filter { page.state.matches($0.state) }
        let start =
            page.after.map { after in
                matching.firstIndex { after.precedesByBytes($0.breaker.key ?? "") } ?? matching.endIndex
            } ?? matching.startIndex
        let listed = matching[start...].prefix(page.limit)
        var json = JSONWriter(capacity: 2_048 + listed.count * 1_300)
        json.beginObject()
        json.key("generated_at")
        json.number(registry.clock.wallClockSeconds())
        writeSummaryFields(of: entry, keys: keys, to: &json)
        json.key("matching_keys")
        json.integer(matching.count)
        json.key("limit")
        json.integer(page.limit)
        json.key("keys")
        json.beginArray()
        for key in listed { status(of: key.breaker, in: entry).write(to: &json) }
        json.endArray()
        json.key("next_after")
        json.string(listed.endIndex < matching.endIndex ? listed.last?.breaker.key : nil)
        json.endObject()
        return json.bytes
    }

    /// The document of `GET /api/v1/groups/{group}/keys/{key}`.
    ///
    /// - Throws: ``OperationsError/Code/unknownGroup``, ``OperationsError/Code/keyTooLong``,
    ///   ``OperationsError/Code/unknownKey``.
    func renderKey(_ key: String, ofGroup name: String) throws(OperationsError) -> [UInt8] {
        let entry = try groupEntry(named: name)
        let breaker = try Self.keyBreaker(key, in: entry)
        var json = JSONWriter()
        status(of: breaker, in: entry).write(to: &json)
        return json.bytes
    }
}
