import CircuitBreakerInternals
import Synchronization

/// Breakers created on demand, one per key (a downstream host, a tenant, an endpoint), from one template
/// configuration, under a cap.
///
/// ```swift
/// let partners = try registry.group(named: "partners", template: .consecutiveFailures(5))
/// let quote = try await partners.execute(key: url.host ?? "") { try await client.get(url) }
/// ```
///
/// One slow partner opens its own breaker and leaves the others alone. The group holds at most
/// ``Configuration-swift.struct/maximumKeys`` keys. When a new key arrives at the cap, the least recently used
/// **idle** key is evicted: closed, no failure or slow call in its live window, no consecutive-failure streak, no
/// call in flight, no operator override. A key that is counting failures keeps its slot, so made-up keys cannot
/// push a failing key out and reset its history. When no key is idle, the
/// ``Configuration-swift.struct/overflow`` policy applies: the key's calls share the group's
/// ``overflowBreaker``, or are rejected with ``BreakerGroupError``. Both evictions and overflows are reported to
/// the group's monitors.
///
/// **Calls.** Make calls through the group, with `execute(key:_:)` (synchronous or async) or
/// `withBreaker(for:_:)`: looking up an existing key takes no lock (a hash, an index probe, and one atomic add
/// and subtract to pin the key while the call runs), and a pinned key is never evicted. ``breaker(for:)`` returns
/// the key's breaker for inspection or operator actions; calls made later on a breaker kept that way do not pin
/// it, so the group may evict it meanwhile (it keeps working, counted by nobody).
///
/// **Monitors.** Each monitor is bound to the group once (``BreakerMonitor/bind(toGroup:)``), and each key's
/// breaker to the monitor that returned, with the key in its ``BreakerDescription``. An evicted key's breaker is
/// detached from its monitors (a Prometheus monitor drops its series at the next scrape).
///
/// **Keys** are strings compared byte for byte (their UTF-8), as Prometheus compares label values: two strings that
/// Swift calls equal but spells differently (a precomposed and a decomposed `"é"`) are two keys. The empty string is
/// not a key, nor is a key longer than ``Configuration-swift.struct/maximumKeyLength`` UTF-8 bytes: both throw
/// ``BreakerGroupError``.
public final class BreakerGroup: Sendable {
    /// Computes a key's configuration from the template, when the key's breaker is created: per-key thresholds.
    /// It runs under the group's lock and must not call the group.
    public typealias KeyConfiguration =
        @Sendable (_ key: String, _ template: CircuitBreaker.Configuration) -> CircuitBreaker.Configuration

    /// The group's name: its breakers' name, and the `breaker` label of their series.
    public let name: String
    /// The configuration every key starts from.
    public let template: CircuitBreaker.Configuration
    /// The group's limits.
    public let configuration: Configuration
    /// The clock of every breaker of the group.
    public let clock: BreakerClock
    /// The breaker that keys share when the group is full and no key is idle, with the
    /// ``OverflowPolicy/sharedBreaker`` policy (configured as the template; its ``CircuitBreaker/key`` is `nil`);
    /// `nil` with ``OverflowPolicy/reject``.
    public let overflowBreaker: CircuitBreaker?

    @usableFromInline
    let table: KeyTable
    @usableFromInline
    let maximumKeyLength: Int
    private let configure: KeyConfiguration?
    /// The monitors bound to the group: its breakers are bound to them.
    private let monitors: [any BreakerMonitor]
    private let state: Locked<State>
    private let evictionCount = Atomic<Int>(0)
    private let overflowCount = Atomic<Int>(0)

    /// What changes under the group's lock, besides the table's slots.
    private struct State {
        /// The eviction candidates of the last scan, most recently used first (the next victim is last).
        var candidates: [EvictionCandidate] = []
        /// Coarse monotonic time before which a scan that found nothing to evict is not repeated.
        var scanAfter: Int64 = .min
        /// Whether the group was detached from its monitors (removed from its registry): keys created after
        /// that get none.
        var detached = false
    }

    /// Creates a group.
    ///
    /// - Parameters:
    ///   - name: The group's name, any string: its breakers' name and the `breaker` label of their series.
    ///   - template: The configuration of every key's breaker (validated here).
    ///   - configuration: The group's limits (validated here).
    ///   - configure: Changes the template for a key, when its breaker is created; its result is validated then.
    ///   - monitors: Bound to the group with ``BreakerMonitor/bind(toGroup:)``; each key's breaker gets the
    ///     monitors that returned. Their errors are rethrown.
    ///   - clock: ``BreakerClock/system``, or a manual clock in tests.
    /// - Throws: ``ConfigurationError`` for an invalid template or configuration, and any monitor's error.
    public init(
        name: String,
        template: CircuitBreaker.Configuration = .default,
        configuration: Configuration = .default,
        configure: KeyConfiguration? = nil,
        monitors: [any BreakerMonitor] = [],
        clock: BreakerClock = .system
    ) throws {
        try template.validate()
        try configuration.validate()
        let description = BreakerGroupDescription(name: name, template: template, configuration: configuration)
        var bound: [any BreakerMonitor] = []
        bound.reserveCapacity(monitors.count)
        do {
            for monitor in monitors {
                bound.append(try monitor.bind(toGroup: description))
            }
            overflowBreaker =
                configuration.overflow.sharesBreaker
                ? try CircuitBreaker(name: name, key: nil, configuration: template, monitors: bound, clock: clock)
                : nil
        } catch {
            for monitor in bound { monitor.didDetach(fromGroup: description) }
            throw error
        }
        self.name = name
        self.template = template
        self.configuration = configuration
        self.clock = clock
        self.configure = configure
        self.monitors = bound
        self.maximumKeyLength = configuration.maximumKeyLength
        self.table = KeyTable(capacity: configuration.maximumKeys)
        self.state = Locked(State())
        for monitor in bound { monitor.didAttach(toGroup: self) }
    }

    // MARK: Calls

    /// Runs `operation` through the breaker of `key` (created on first use), with the key pinned so that it cannot
    /// be evicted meanwhile: the breaker's `execute(_:)` in every other respect.
    ///
    /// - Throws: what the breaker's `execute` throws (``CallRejectedError``, the operation's errors), or
    ///   ``BreakerGroupError`` when the key gets no breaker (see ``breaker(for:)``).
    @inlinable
    public func execute<T>(key: String, _ operation: () throws -> T) throws -> T {
        let lease = try lease(for: key)
        defer { lease.release() }
        return try lease.breaker._withUnsafeGuaranteedRef { try $0.execute(operation) }
    }

    /// Runs the async `operation` through the breaker of `key` (created on first use), with the key pinned while it
    /// runs: the async `execute` in every other respect (the invocation timeout
    /// included).
    @inlinable @_disfavoredOverload
    public func execute<T: Sendable>(
        key: String,
        _ operation: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        let lease = try lease(for: key)
        defer { lease.release() }
        return try await lease.breaker.takeUnretainedValue().execute(operation)
    }

    /// Runs `body` with the breaker of `key` (created on first use), pinned so that it cannot be evicted while
    /// `body` runs: for the breaker's other ways of calling (fallbacks, typed errors, result classification).
    ///
    /// ```swift
    /// let page = try partners.withBreaker(for: host) { breaker in
    ///     try breaker.execute({ try fetch(host) }, fallback: { _ in cachedPage })
    /// }
    /// ```
    @inlinable
    public func withBreaker<T>(for key: String, _ body: (CircuitBreaker) throws -> T) throws -> T {
        let lease = try lease(for: key)
        defer { lease.release() }
        return try lease.breaker._withUnsafeGuaranteedRef { try body($0) }
    }

    /// The async form of `withBreaker(for:_:)`: the key stays pinned until `body` returns.
    @inlinable @_disfavoredOverload
    public func withBreaker<T>(for key: String, _ body: (CircuitBreaker) async throws -> T) async throws -> T {
        let lease = try lease(for: key)
        defer { lease.release() }
        return try await body(lease.breaker.takeUnretainedValue())
    }

    // MARK: Keys

    /// The breaker of `key`, created on first use (with the template, changed by the group's `configure` closure
    /// if there is one), and counted as a use of the key for eviction.
    ///
    /// The breaker is for reading and for operator actions. Make calls through the group (`execute(key:_:)`,
    /// `withBreaker(for:_:)`): a breaker kept from here does not stop the group from evicting its key once it is
    /// idle, and calls made on it after that are counted by nobody.
    ///
    /// - Returns: the key's breaker, or the group's ``overflowBreaker`` when the group is full, no key is idle and
    ///   the policy is ``OverflowPolicy/sharedBreaker``.
    /// - Throws: ``BreakerGroupError``: ``BreakerGroupError/Code/overflow`` (the group is full, no key is idle, and
    ///   the policy is ``OverflowPolicy/reject``), ``BreakerGroupError/Code/emptyKey``,
    ///   ``BreakerGroupError/Code/keyTooLong``; ``ConfigurationError`` when the key's configuration is invalid;
    ///   and any error of a monitor's ``BreakerMonitor/bind(to:)``.
    public func breaker(for key: String) throws -> CircuitBreaker {
        let lease = try lease(for: key)
        defer { lease.release() }
        return lease.breaker.takeUnretainedValue()
    }

    /// The breaker of `key` if the group holds it now; creates nothing and does not count as a use.
    public func existingBreaker(for key: String) -> CircuitBreaker? {
        let slot = KeyHashing.withBytes(of: key) { bytes in
            let hash = table.hash(bytes)
            return table.pin(bytes, hash: hash, touch: false)
                ?? state.withLock { _ in table.pin(bytes, hash: hash, touch: false) }
        }
        guard let slot else { return nil }
        defer { slot.unpin() }
        return slot.breaker.takeUnretainedValue()
    }

    /// The number of keys the group holds now (the overflow breaker not included).
    public var count: Int {
        table.count.load(ordering: .relaxed)
    }

    /// The keys the group holds now, sorted.
    public var keys: [String] {
        breakers.compactMap(\.key)
    }

    /// The breakers of the keys the group holds now, sorted by key (the overflow breaker not included).
    public var breakers: [CircuitBreaker] {
        state.withLock { _ in
            var found: [CircuitBreaker] = []
            table.forEachLive { _, slot in found.append(slot.breaker.takeUnretainedValue()) }
            return found
        }
        .sorted { ($0.key ?? "") < ($1.key ?? "") }
    }

    /// Keys evicted since the group was created.
    public var evictions: Int {
        evictionCount.load(ordering: .relaxed)
    }

    /// Keys that found the group full with no idle key, since the group was created.
    public var overflows: Int {
        overflowCount.load(ordering: .relaxed)
    }

    /// Makes the transitions that time alone has made due in every key that is not closed (an open key whose wait
    /// has elapsed becomes half-open, an expired override ends), as reading each one's
    /// ``CircuitBreaker/state`` would, so that monitors report the state the next call would meet. A closed key,
    /// nearly every key, costs an atomic load; no lock is taken but the non-closed keys' own. Monitors that
    /// render per-key state call it before each scrape.
    public func settleStates() {
        let unsettled = table.breakers { !ControlWord(rawValue: $0.control.load(ordering: .relaxed)).isClosed }
        for breaker in unsettled { _ = breaker.state }
        if let overflowBreaker { _ = overflowBreaker.state }
    }

    // MARK: Leases

    /// The pinned breaker of `key`: found without a lock when the key exists, else created (or the overflow
    /// breaker, or an error) under the group's lock.
    ///
    /// The lookup reads the key's bytes in place and reaches the table without retaining it (the group keeps it
    /// alive): a retain and a release of the table, and a copy of the key, measured 90 instructions of the 420 a
    /// lookup took before.
    @usableFromInline
    func lease(for key: String) throws -> KeyLease {
        let table = Unmanaged.passUnretained(self.table)
        let limit = maximumKeyLength
        let found = key.utf8.withContiguousStorageIfAvailable { bytes -> KeySlot? in
            guard bytes.count <= limit else { return nil }
            return table._withUnsafeGuaranteedRef { table in
                let key = UnsafeRawBufferPointer(bytes)
                return table.pin(key, hash: table.hash(key), touch: true)
            }
        }
        if let found, let slot = found { return KeyLease(breaker: slot.breaker, slot: slot) }
        return try leaseSlowly(key)
    }

    /// A key that is not in the table (or not stored contiguously, or too long): an error, or the locked path.
    @usableFromInline
    @inline(never)
    func leaseSlowly(_ key: String) throws -> KeyLease {
        guard key.utf8.count <= maximumKeyLength else {
            throw BreakerGroupError(.keyTooLong, groupName: name, key: key, limit: maximumKeyLength)
        }
        if let slot = KeyHashing.withBytes(of: key, { bytes in table.pin(bytes, hash: table.hash(bytes), touch: true) })
        {
            return KeyLease(breaker: slot.breaker, slot: slot)
        }
        return try leaseCreating(key)
    }

    /// What a lookup under the lock found or made.
    private enum Outcome {
        case leased(KeyLease)
        case overflow
        case failed(any Error)
    }

    @usableFromInline
    @inline(never)
    func leaseCreating(_ key: String) throws -> KeyLease {
        guard !key.isEmpty else { throw BreakerGroupError(.emptyKey, groupName: name, key: key) }
        var evicted: (key: String, breaker: CircuitBreaker)?
        let outcome = KeyHashing.withBytes(of: key) { bytes in
            state.withLock { state in lookUpOrCreate(key, bytes: bytes, &state, evicted: &evicted) }
        }
        // Monitors hear of evictions and overflows outside the lock, so that they may call the group.
        if let evicted {
            evictionCount.wrappingAdd(1, ordering: .relaxed)
            evicted.breaker.detachMonitors()
            for monitor in monitors { monitor.keyEvicted(self, key: evicted.key) }
        }
        switch outcome {
        case .leased(let lease):
            return lease
        case .failed(let error):
            throw error
        case .overflow:
            overflowCount.wrappingAdd(1, ordering: .relaxed)
            for monitor in monitors { monitor.keyOverflowed(self, key: key, policy: configuration.overflow) }
            guard let overflowBreaker else {
                throw BreakerGroupError(.overflow, groupName: name, key: key, limit: configuration.maximumKeys)
            }
            return KeyLease(breaker: .passUnretained(overflowBreaker), slot: nil)
        }
    }

    /// Under the lock: the key's slot if it exists now, else a new one (evicting an idle key at the cap), else
    /// `.overflow`.
    private func lookUpOrCreate(
        _ key: String,
        bytes: UnsafeRawBufferPointer,
        _ state: inout State,
        evicted: inout (key: String, breaker: CircuitBreaker)?
    ) -> Outcome {
        let hash = table.hash(bytes)
        if let slot = table.pin(bytes, hash: hash, touch: true) {
            return .leased(KeyLease(breaker: slot.breaker, slot: slot))
        }
        if table.count.load(ordering: .relaxed) >= table.capacity {
            evicted = evictLeastRecentlyUsed(&state)
            if evicted == nil { return .overflow }
        }
        do {
            let configuration = configure?(key, template) ?? template
            let breaker = try CircuitBreaker(
                name: name,
                key: key,
                configuration: configuration,
                monitors: state.detached ? [] : monitors,
                clock: clock
            )
            let slot = table.insert(key, bytes: bytes, hash: hash, breaker: breaker)
            return .leased(KeyLease(breaker: slot.breaker, slot: slot))
        } catch {
            return .failed(error)
        }
    }

    // MARK: Eviction (under the lock)

    /// How long a scan that found no idle key keeps the next overflow from scanning again: a group full of failing
    /// keys would otherwise pay a scan of every key for each new key. A key that became idle meanwhile waits at
    /// most this long to be evicted.
    static let fruitlessScanPause: Int64 = 100_000_000

    /// The most candidates one scan keeps: later evictions use them until they run out (each checked again
    /// before it is used), so a scan of every key is paid once per this many evictions.
    static let candidatesPerScan = 64

    /// Evicts the least recently used idle key, if there is one: from the candidates of the last scan, then from
    /// a new scan. Under the lock.
    private func evictLeastRecentlyUsed(_ state: inout State) -> (key: String, breaker: CircuitBreaker)? {
        if let evicted = evictCandidate(&state) { return evicted }
        let now = clock.coarseNanoseconds()
        guard now >= state.scanAfter else { return nil }
        state.candidates = scanForCandidates()
        if let evicted = evictCandidate(&state) { return evicted }
        state.scanAfter = now &+ Self.fruitlessScanPause
        return nil
    }

    /// Tries the remaining candidates, least recently used first; a candidate used since the scan, pinned now or
    /// not idle is dropped.
    private func evictCandidate(_ state: inout State) -> (key: String, breaker: CircuitBreaker)? {
        while let candidate = state.candidates.popLast() {
            let slot = table.slot(candidate.slot)
            guard slot.record.pointee.breaker != nil, slot.record.pointee.incarnation == candidate.incarnation,
                slot.lastUsed == candidate.lastUsed, table.claim(slot)
            else { continue }
            // Claimed: no call is in flight through the group and none can start until the claim ends.
            if slot.breaker._withUnsafeGuaranteedRef({ $0.holdsNoHistory() }) {
                return table.remove(slot, number: candidate.slot)
            }
            table.unclaim(slot)
        }
        return nil
    }

    /// Up to ``candidatesPerScan`` keys that look idle without taking their locks (closed, no override, nothing
    /// pinned), the least recently used last.
    private func scanForCandidates() -> [EvictionCandidate] {
        var heap = CandidateHeap(limit: Self.candidatesPerScan)
        table.forEachLive { number, slot in
            guard slot.pins == 0, slot.breaker._withUnsafeGuaranteedRef({ $0.looksIdle })
            else { return }
            heap.offer(
                EvictionCandidate(
                    slot: number,
                    incarnation: slot.record.pointee.incarnation,
                    lastUsed: slot.lastUsed
                )
            )
        }
        return heap.sortedMostRecentFirst()
    }

    // MARK: Detaching

    /// Detaches every key's breaker and the overflow breaker from their monitors, then the group's monitors
    /// (called when the group's registry removes it). Keys created afterwards get no monitors.
    func detachMonitors() {
        let held = state.withLock { state -> [CircuitBreaker]? in
            guard !state.detached else { return nil }
            state.detached = true
            var held: [CircuitBreaker] = []
            table.forEachLive { _, slot in held.append(slot.breaker.takeUnretainedValue()) }
            return held
        }
        guard let held else { return }  // detached before
        for breaker in held { breaker.detachMonitors() }
        overflowBreaker?.detachMonitors()
        let description = BreakerGroupDescription(name: name, template: template, configuration: configuration)
        for monitor in monitors { monitor.didDetach(fromGroup: description) }
    }
}
