import CircuitBreaker
import CircuitBreakerInternals
import Foundation
import Prometheus
import Testing

@testable import CircuitBreakerPrometheus
import TestSupport

/// A scrape reuses the bytes of the breakers whose series did not change (``SeriesRenderCache``): these tests render
/// every state twice on a manual clock that does not move in between, once reusing what the previous scrape
/// rendered and once after ``RegistryState/forgetRenderings()`` (every breaker read and rendered anew), and require
/// the same bytes in every format.
@Suite struct IncrementalRenderTests {
    enum Format: CaseIterable {
        case text
        case openMetrics
        case protobuf
    }

    static func render(_ monitor: PrometheusMonitor, _ format: Format) -> [UInt8] {
        var bytes: [UInt8] = []
        switch format {
        case .text: monitor.emit(into: &bytes)
        case .openMetrics: monitor.emitOpenMetrics(into: &bytes)
        case .protobuf: monitor.emitProtobuf(into: &bytes)
        }
        return bytes
    }

    /// Renders in every format, reused then fresh, and expects the same bytes; returns how many breakers each
    /// reused render reused. Every format is primed before each reused render (scraped since the last change, and
    /// since the previous fresh render forgot everything), so that the reused render has bytes to reuse; `between`
    /// runs after the priming (a clock move, for the time in state to be rewritten).
    @discardableResult
    static func expectReusedEqualsFresh(
        _ monitor: PrometheusMonitor,
        _ context: String,
        between: () -> Void = {},
        sourceLocation: SourceLocation = #_sourceLocation
    ) -> [Int] {
        var reusedCounts: [Int] = []
        for format in Format.allCases {
            prime(monitor)
            between()
            let reused = render(monitor, format)
            reusedCounts.append(monitor.shared.lastScrape.withLock { $0.reused })
            monitor.shared.forgetRenderings()
            let fresh = render(monitor, format)
            #expect(monitor.shared.lastScrape.withLock { $0.reused } == 0, sourceLocation: sourceLocation)
            #expect(reused == fresh, "\(context), \(format)", sourceLocation: sourceLocation)
            if reused != fresh, format != .protobuf {
                let lines = Set(String(decoding: fresh, as: UTF8.self).split(separator: "\n"))
                let differing = String(decoding: reused, as: UTF8.self).split(separator: "\n").filter {
                    !lines.contains($0)
                }
                Issue.record("\(context), \(format): reused lines not in the fresh render: \(differing.prefix(5))")
            }
        }
        return reusedCounts
    }

    /// Renders every format once, so that the next render of each may reuse it.
    static func prime(_ monitor: PrometheusMonitor) {
        for format in Format.allCases { _ = render(monitor, format) }
    }

    @Test(arguments: [PrometheusMonitor.Configuration.HistogramKind.classic, .native])
    func reusedBytesEqualFreshAcrossTimeCallsTransitionsAndOverrides(
        histogram: PrometheusMonitor.Configuration.HistogramKind
    ) throws {
        let fixture = try ExpositionFixture(histogram: histogram)
        let clock = fixture.clock
        let monitor = fixture.monitor
        let count = fixture.breakers.count
        Self.expectReusedEqualsFresh(monitor, "after the fixture's calls")

        // Time alone: every breaker is reused, its time in state rewritten.
        clock.advance(by: .milliseconds(1_500))
        let timeOnly = Self.expectReusedEqualsFresh(monitor, "time passing") { clock.advance(by: .milliseconds(250)) }
        // The consecutive-failure breakers (even indices) opened at the fixture's failure; with a wait of 1 s they
        // were half-open since the first scrape above, and half-open breakers are always read. The others reuse.
        #expect(timeOnly.allSatisfy { $0 > 0 && $0 < count }, "\(timeOnly)")

        // One call: that breaker alone is read anew.
        Self.prime(monitor)
        let called = fixture.breakers[1]
        _ = try called.execute { clock.advance(by: .milliseconds(7)) }
        let afterCall = Self.render(monitor, .text)
        #expect(monitor.shared.lastScrape.withLock { $0.read } >= 1)
        monitor.shared.forgetRenderings()
        #expect(afterCall == Self.render(monitor, .text))
        Self.expectReusedEqualsFresh(monitor, "after one call")

        // Transitions and overrides, then time.
        Self.prime(monitor)
        fixture.breakers[5].forceOpen()
        fixture.breakers[7].reset()
        let expiry = clock.wallClockSeconds + 2
        fixture.breakers[3].apply(
            BreakerOverride(
                action: .disable,
                reason: "test",
                actor: "tests",
                appliedAt: clock.wallClockSeconds,
                expiresAt: expiry
            )
        )
        Self.expectReusedEqualsFresh(monitor, "after transitions and an override")
        clock.advance(by: .seconds(3))  // the override expired
        Self.expectReusedEqualsFresh(monitor, "after the override expired")
        #expect(fixture.breakers[3].state == .closed)
        clock.advance(by: .seconds(120))  // every window slid past its calls
        Self.expectReusedEqualsFresh(monitor, "after the windows emptied")
    }

    @Test func anOpenBreakerWhoseWaitElapsedIsReportedHalfOpenWithoutACall() throws {
        let clock = ManualClock()
        let monitor = PrometheusMonitor()
        let breaker = try CircuitBreaker(
            name: "payments",
            configuration: .consecutiveFailures(1, openWait: .seconds(10)),
            monitors: [monitor],
            clock: .manual(clock)
        )
        _ = try? breaker.execute { () throws -> Int in throw TestFailure() }
        let open = ExpositionSamples(monitor.emitToString())
        #expect(open[#"circuit_breaker_state{breaker="payments",state="open"}"#] == 1)
        clock.advance(by: .seconds(5))
        let stillOpen = ExpositionSamples(monitor.emitToString())
        #expect(monitor.shared.lastScrape.withLock { $0.reused } == 1)
        #expect(stillOpen[#"circuit_breaker_state{breaker="payments",state="open"}"#] == 1)
        #expect(stillOpen[#"circuit_breaker_state_seconds_total{breaker="payments",state="open"}"#] == 5)
        clock.advance(by: .seconds(5))
        let halfOpen = ExpositionSamples(monitor.emitToString())
        #expect(monitor.shared.lastScrape.withLock { $0.read } == 1)
        #expect(halfOpen[#"circuit_breaker_state{breaker="payments",state="half_open"}"#] == 1)
        #expect(halfOpen[#"circuit_breaker_state{breaker="payments",state="open"}"#] == 0)
        #expect(halfOpen[#"circuit_breaker_state_seconds_total{breaker="payments",state="open"}"#] == 10)
        Self.expectReusedEqualsFresh(monitor, "half-open")
    }

    @Test func aWindowsRatioDecaysAsItsBucketsSlideWithoutACall() throws {
        let clock = ManualClock()
        let monitor = PrometheusMonitor()
        let breaker = try CircuitBreaker(
            name: "search",
            configuration: .init(trip: .failureRatio(0.9, window: .time(.seconds(10), buckets: 5), minimumCalls: 2)),
            monitors: [monitor],
            clock: .manual(clock)
        )
        _ = try breaker.execute { 1 }
        _ = try? breaker.execute { () throws -> Int in throw TestFailure() }
        let ratio = #"circuit_breaker_failure_ratio{breaker="search"}"#
        #expect(ExpositionSamples(monitor.emitToString())[ratio] == 0.5)
        clock.advance(by: .milliseconds(500))  // the same bucket: reused
        #expect(ExpositionSamples(monitor.emitToString())[ratio] == 0.5)
        #expect(monitor.shared.lastScrape.withLock { $0.reused } == 1)
        clock.advance(by: .seconds(3))  // another bucket (of 2 s), while the calls' bucket is in the window: reused
        #expect(ExpositionSamples(monitor.emitToString())[ratio] == 0.5)
        #expect(monitor.shared.lastScrape.withLock { $0.reused } == 1)
        Self.expectReusedEqualsFresh(monitor, "a window that slid by empty buckets")
        clock.advance(by: .seconds(8))  // the calls' bucket slid out: read anew
        #expect(ExpositionSamples(monitor.emitToString())[ratio] == 0)
        #expect(monitor.shared.lastScrape.withLock { $0.read } == 1)
        clock.advance(by: .seconds(30))  // an empty window cannot decay: reused
        _ = monitor.emitToString()
        #expect(monitor.shared.lastScrape.withLock { $0.reused } == 1)
        Self.expectReusedEqualsFresh(monitor, "an empty window")
    }

    @Test func keyedBreakersAcrossCallsTransitionsAndEvictions() throws {
        let fixture = try GroupFixture(maximumKeys: 3)
        let monitor = fixture.monitor
        let plain = try CircuitBreaker(name: "plain", monitors: [monitor], clock: .manual(fixture.clock))
        _ = try plain.execute { 1 }
        fixture.succeed("a", taking: .milliseconds(2))
        fixture.fail("b")
        fixture.fail("b")  // b opens
        Self.expectReusedEqualsFresh(monitor, "keys a and b")
        fixture.clock.advance(by: .seconds(11))  // b's wait elapsed
        Self.expectReusedEqualsFresh(monitor, "b half-open")
        fixture.succeed("c")
        fixture.succeed("d")  // the group is full: an idle key is evicted
        Self.expectReusedEqualsFresh(monitor, "after an eviction")
        #expect(fixture.group.evictions >= 1)
        // Within the plain breaker's window bucket (6 s of the default 60 s window, at 11 s into the second): it
        // cannot decay, so it is reused.
        fixture.clock.advance(by: .milliseconds(500))
        let counts = Self.expectReusedEqualsFresh(monitor, "time passing")
        #expect(counts.allSatisfy { $0 == 1 }, "\(counts)")  // the plain breaker
    }


    struct Ignorable: Error {}

    /// Random sequences of calls of every outcome (slow, traced, ignored, with fallbacks, rejected), transitions,
    /// overrides with and without expiry, resets and clock moves, on breakers of every trip policy: after each step
    /// a scrape in a random format reuses what it can, and every 10 steps each format's reused rendering is compared
    /// with a fresh one (few steps: a debug build renders slowly). A change that a reused rendering failed to show makes the two differ.
    @Test(arguments: [1, 2, 3] as [UInt64])
    func reusedBytesEqualFreshAfterRandomCallsTransitionsOverridesAndClockMoves(seed: UInt64) throws {
        var random = SeededGenerator(seed: seed)
        let clock = ManualClock(wallClockOrigin: 1_700_000_000.5)
        let monitor = PrometheusMonitor(
            configuration: .init(
                recordsDurations: true,
                durationHistogram: seed.isMultiple(of: 2) ? .native : .classic,
                exemplarTraceIDs: TestTraceID.source
            )
        )
        let ignoring = ErrorClassifier("ignoring") { !($0 is Ignorable) }
        let configurations: [CircuitBreaker.Configuration] = [
            .consecutiveFailures(2, openWait: .seconds(5)),
            .init(trip: .failureRatio(0.5, window: .time(.seconds(10), buckets: 5), minimumCalls: 2)),
            .init(
                trip: .failureRatio(0.5, window: .count(6), minimumCalls: 3),
                openWait: .fixed(.seconds(3)),
                errorClassifier: ignoring
            ),
            .init(
                trip: .slowCallRatio(0.5, window: .time(.seconds(8), buckets: 4), minimumCalls: 2),
                slowCallThreshold: .milliseconds(100)
            ),
            .init(
                trip: .failureRatio(0.5, window: .time(.seconds(10), buckets: 5), minimumCalls: 2),
                fallbackTriggers: .all,
                enforcement: .shadow
            ),
            .default,
        ]
        let breakers = try configurations.enumerated().map { index, configuration in
            try CircuitBreaker(
                name: "b\(index)",
                configuration: configuration,
                monitors: [monitor],
                clock: .manual(clock)
            )
        }
        var reused = 0
        var read = 0
        for step in 0..<150 {
            let breaker = breakers[Int.random(in: 0..<breakers.count, using: &random)]
            switch Int.random(in: 0..<100, using: &random) {
            case 0..<30:
                _ = try? breaker.execute { clock.advance(by: .milliseconds(Int64.random(in: 0...5, using: &random))) }
            case 30..<45:
                _ = try? breaker.execute { () throws -> Int in throw TestFailure() }
            case 45..<52:
                _ = try? breaker.execute { () throws -> Int in throw Ignorable() }
            case 52..<60:
                _ = try? breaker.execute { clock.advance(by: .milliseconds(150)) }  // slow
            case 60..<65:
                _ = try? traced("4bf92f3577b34da6a3ce929d0e0e47\(step % 100)") {
                    try breaker.execute { clock.advance(by: .milliseconds(20)) }
                }
            case 65..<70:
                _ = try? breaker.execute({ () throws -> Int in throw TestFailure() }, fallback: { _ in 0 })
            case 70..<73:
                breaker.forceOpen()
            case 73..<75:
                breaker.disable()
            case 75..<78:
                breaker.reset()
            case 78..<82:
                let expiry = clock.wallClockSeconds + Double(Int.random(in: 1...20, using: &random))
                let actions: [BreakerOverride.Action] = [.forceOpen, .disable, .reset]
                breaker.apply(
                    BreakerOverride(
                        action: actions[Int.random(in: 0..<actions.count, using: &random)],
                        reason: "random",
                        actor: "tests",
                        appliedAt: clock.wallClockSeconds,
                        expiresAt: expiry
                    )
                )
            case 82..<84:
                _ = breaker.clearOverride()
            default:
                clock.advance(by: .milliseconds(Int64.random(in: 1...4_000, using: &random)))
            }
            // A scrape in some format, which the next one may reuse.
            let format = Format.allCases[Int.random(in: 0..<Format.allCases.count, using: &random)]
            _ = Self.render(monitor, format)
            let last = monitor.shared.lastScrape.withLock { $0 }
            reused += last.reused
            read += last.read
            if step.isMultiple(of: 10) {
                let move = Int64.random(in: 0...3_000, using: &random)
                Self.expectReusedEqualsFresh(monitor, "seed \(seed), step \(step)") {
                    clock.advance(by: .milliseconds(move))
                }
            }
        }
        // Both paths ran: some scrapes reused breakers, and some read them anew.
        #expect(reused > 0)
        #expect(read > 0)
    }

    @Test func anOverrideIsSeenOnceAppliedEvenBeforeTheMonitorsHeardOfIt() throws {
        // While one thread delivers a breaker's events, an event another call makes is queued for that thread, and
        // the call returns before the monitors hear of it. Here the delivering thread is this one: inside the
        // monitors' callback for a first override, a second override replaces it (returning at once, its events
        // queued behind) and a scrape follows. The breaker stays forced open, with no new generation, and the
        // monitor's counters have not moved: only the core's change count tells the scrape to read it anew.
        let clock = ManualClock(wallClockOrigin: 1_700_000_000)
        let monitor = PrometheusMonitor()
        let scrapes = Locked<[String]>([])
        let hook = OverrideHook { breaker, override in
            guard override.reason == "first" else { return }
            scrapes.withLock { $0.append(monitor.emitToString()) }
            breaker.apply(
                BreakerOverride(
                    action: .forceOpen,
                    reason: "second",
                    actor: "tests",
                    appliedAt: clock.wallClockSeconds,
                    expiresAt: clock.wallClockSeconds + 600
                )
            )
            scrapes.withLock { $0.append(monitor.emitToString()) }
        }
        let breaker = try CircuitBreaker(name: "ledger", monitors: [monitor, hook], clock: .manual(clock))
        breaker.forceOpen()
        _ = monitor.emitToString()
        _ = monitor.emitToString()
        #expect(monitor.shared.lastScrape.withLock { $0.reused } == 1)
        breaker.apply(
            BreakerOverride(
                action: .forceOpen,
                reason: "first",
                actor: "tests",
                appliedAt: clock.wallClockSeconds,
                expiresAt: clock.wallClockSeconds + 60
            )
        )
        let expiry = #"circuit_breaker_override_expiry_timestamp_seconds{breaker="ledger"}"#
        let seen = scrapes.withLock { $0 }.map { ExpositionSamples($0)[expiry] }
        #expect(seen == [1_700_000_060, 1_700_000_600])
        #expect(ExpositionSamples(monitor.emitToString())[expiry] == 1_700_000_600)
    }

    @Test func aCallBetweenTwoScrapesIsAlwaysSeen() throws {
        // Many breakers, calls on another thread while this one scrapes: every scrape's count of a breaker is at
        // least the calls that completed before the scrape began, and never moves backwards.
        let monitor = PrometheusMonitor()
        let breakers = try (0..<20).map { try CircuitBreaker(name: "b\($0)", monitors: [monitor]) }
        let completed = Completed()
        let caller = Thread {
            for round in 0..<2_000 {
                let breaker = breakers[round % breakers.count]
                _ = try? breaker.execute { round }
                completed.add(round % breakers.count)
            }
            completed.finish()
        }
        caller.start()
        var previous = [Double](repeating: 0, count: breakers.count)
        // Bounded: the caller's 2,000 calls end; the loop also stops after 10,000 scrapes.
        for _ in 0..<10_000 {
            let before = completed.counts
            let samples = ExpositionSamples(monitor.emitToString())
            for index in breakers.indices {
                let value = samples[#"circuit_breaker_calls_total{breaker="b\#(index)",outcome="success"}"#] ?? -1
                #expect(value >= Double(before.counts[index]))
                #expect(value >= previous[index])
                previous[index] = value
            }
            if before.finished { break }
        }
    }

    @Test func concurrentScrapesInEveryFormatEachSeeEveryCompletedCall() throws {
        // No registry-wide render lock: two threads scrape in text and OpenMetrics, a third alternates the three
        // formats (rewriting the breakers' cached renderings while the others copy them), while calls run on a
        // fourth. Each text scrape still shows every call completed before it began, never fewer than before; once
        // all stop, a reused render equals a fresh one.
        // A manual clock that does not move: the final reused and fresh renders show the same time in state.
        let clock = ManualClock()
        let monitor = PrometheusMonitor()
        let breakers = try (0..<20).map {
            try CircuitBreaker(name: "b\($0)", monitors: [monitor], clock: .manual(clock))
        }
        let completed = Completed()
        let violations = Locked(0)
        let scrapers = Locked(0)
        func scraper(_ format: Format?) -> Thread {
            Thread {
                var previous = [Double](repeating: 0, count: breakers.count)
                // Bounded: stops once the caller finished, or after 5,000 scrapes.
                for round in 0..<5_000 {
                    let before = completed.counts
                    let chosen = format ?? Format.allCases[round % Format.allCases.count]
                    let bytes = Self.render(monitor, chosen)
                    if chosen == .text {
                        let samples = ExpositionSamples(String(decoding: bytes, as: UTF8.self))
                        for index in breakers.indices {
                            let value =
                                samples[#"circuit_breaker_calls_total{breaker="b\#(index)",outcome="success"}"#] ?? -1
                            if value < Double(before.counts[index]) || value < previous[index] {
                                violations.withLock { $0 += 1 }
                            }
                            previous[index] = value
                        }
                    } else if bytes.isEmpty {
                        violations.withLock { $0 += 1 }
                    }
                    if before.finished { break }
                }
                scrapers.withLock { $0 += 1 }
            }
        }
        let threads = [scraper(.text), scraper(.openMetrics), scraper(nil)]
        for thread in threads { thread.start() }
        for round in 0..<3_000 {
            let breaker = breakers[round % breakers.count]
            _ = try? breaker.execute { round }
            completed.add(round % breakers.count)
        }
        completed.finish()
        // Bounded wait for the scrapers (each ends at its next scrape); the outer limit only guards against a hang.
        let deadline = Date().addingTimeInterval(120)
        while scrapers.withLock({ $0 }) < threads.count, Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        #expect(scrapers.withLock { $0 } == threads.count)
        #expect(violations.withLock { $0 } == 0)
        let samples = ExpositionSamples(monitor.emitToString())
        for index in breakers.indices {
            #expect(samples[#"circuit_breaker_calls_total{breaker="b\#(index)",outcome="success"}"#] == 150)
        }
        Self.expectReusedEqualsFresh(monitor, "after concurrent scrapes")
    }
}

/// Calls completed per breaker, published after each call returned.
final class Completed: Sendable {
    private let state = Locked<(counts: [Int], finished: Bool)>(([Int](repeating: 0, count: 20), false))

    func add(_ index: Int) { state.withLock { $0.counts[index] += 1 } }
    func finish() { state.withLock { $0.finished = true } }
    var counts: (counts: [Int], finished: Bool) { state.withLock { $0 } }
}

/// Runs `action` when an override is applied to a breaker.
final class OverrideHook: BreakerMonitor {
    let action: @Sendable (CircuitBreaker, BreakerOverride) -> Void

    init(_ action: @escaping @Sendable (CircuitBreaker, BreakerOverride) -> Void) {
        self.action = action
    }

    func overrideApplied(_ breaker: CircuitBreaker, override: BreakerOverride, restored: Bool) {
        action(breaker, override)
    }
}
