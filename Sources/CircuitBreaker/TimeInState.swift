/// How long a breaker has spent in each state since it was created, the current period included.
///
/// Read from the breaker's coarse monotonic clock, under its lock, so that successive snapshots of one breaker
/// never show less time in a state than an earlier one: what `circuit_breaker_state_seconds_total` exports as a
/// counter. A short open between two scrapes shows up as the growth of its `open` time.
public struct TimeInState: Sendable, Hashable {
    // Nanoseconds in each state, as stored properties rather than an array: every snapshot copies and adds to them,
    // and a scrape takes one snapshot per breaker, so an array cost one allocation per breaker per scrape
    // (`Render exposition, 1000 breakers` in `MonitorBenchmarks`). Not a SIMD8 either: with its 64-byte alignment,
    // a snapshot captured by a test's `#expect` in a debug build read back as garbage (generation 5,522,759 for 2);
    // over-aligned values are not safe on every path of this toolchain.
    private var closed: Int64 = 0
    private var open: Int64 = 0
    private var halfOpen: Int64 = 0
    private var forcedOpen: Int64 = 0
    private var disabled: Int64 = 0

    /// No time in any state.
    public init() {}

    /// The time spent in `state`.
    public subscript(state: CircuitState) -> Duration {
        .nanoseconds(nanoseconds(in: state))
    }

    /// The time spent in `state`, in seconds, for the exporters (the API is the `Duration` subscript).
    package func seconds(in state: CircuitState) -> Double {
        Double(nanoseconds(in: state)) / 1e9
    }

    /// The time spent in all states together: the breaker's age as its clock measures it.
    public var total: Duration {
        .nanoseconds(closed &+ open &+ halfOpen &+ forcedOpen &+ disabled)
    }

    /// Adds `duration` nanoseconds to `state`.
    mutating func add(_ duration: Int64, to state: CircuitState) {
        let duration = max(duration, 0)
        switch state {
        case .closed: closed &+= duration
        case .open: open &+= duration
        case .halfOpen: halfOpen &+= duration
        case .forcedOpen: forcedOpen &+= duration
        case .disabled: disabled &+= duration
        }
    }

    private func nanoseconds(in state: CircuitState) -> Int64 {
        switch state {
        case .closed: closed
        case .open: open
        case .halfOpen: halfOpen
        case .forcedOpen: forcedOpen
        case .disabled: disabled
        }
    }
}

/// The accounting behind ``TimeInState``: the finished periods and when the current one began. Lives in the
/// breaker's ``MachineState`` and changes only under its lock.
struct StateTimeAccount: Sendable {
    private var finished = TimeInState()
    private var periodStart: Int64
    /// The latest clock reading used, so that a reading taken before the lock was acquired (and so possibly older
    /// than one another thread used meanwhile) never makes a total go back.
    private var floor: Int64

    init(now: Int64) {
        periodStart = now
        floor = now
    }

    /// `now`, raised to the latest reading used so far.
    private mutating func reading(_ now: Int64) -> Int64 {
        floor = max(floor, now)
        return floor
    }

    /// Closes the period of `state` at `now` and starts the next one.
    mutating func closePeriod(of state: CircuitState, now: Int64) {
        let end = reading(now)
        finished.add(end &- periodStart, to: state)
        periodStart = end
    }

    /// The totals at `now`, with the current period (of `state`) included.
    mutating func totals(current state: CircuitState, now: Int64) -> TimeInState {
        var totals = finished
        totals.add(reading(now) &- periodStart, to: state)
        return totals
    }

    /// ``totals(current:now:)``, and the reading the current period was counted to: `now`, or a higher reading that
    /// another caller used before.
    mutating func counted(current state: CircuitState, now: Int64) -> (totals: TimeInState, to: Int64) {
        let totals = totals(current: state, now: now)
        return (totals, floor)
    }

    /// How long the current period has lasted at `now`.
    mutating func currentPeriod(now: Int64) -> Duration {
        .nanoseconds(reading(now) &- periodStart)
    }
}
