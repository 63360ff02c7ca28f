import CircuitBreakerInternals
import CircuitBreaker

/// What the last scrape of a breaker read and rendered, so that the next scrape refreshes and re-formats only the
/// breakers whose series changed, and copies the bytes of the others, rewriting only what time alone changes.
///
/// ## When a breaker's bytes are reused
/// At each scrape, ``BreakerSeries/prepareForScrape()`` takes the breaker's *change stamp*, its change counter: the
/// generation the next call would meet (the transitions time made due are made first: an open breaker whose wait
/// elapsed is half-open, an expired override has ended); the core's count of the transitions, overrides and resets
/// it made (`CircuitBreaker.changeCount`, bumped under the breaker's lock as each is made); and the sum of the
/// monitor's counters that every call, rejection, fallback, slow call, transition and override bumps
/// (``SeriesLayout/changeCells``). It refreshes the gauges and renders the breaker anew unless all of these hold:
/// - the stamp equals the one of its last refresh;
/// - the breaker is closed, open or forced open (a half-open breaker's trials and a disabled breaker's calls reach
///   the core after the monitor heard of them, so for these the proof below does not hold: they are always read);
/// - its time window holds no call, or the window has not slid to another bucket since it was read (a window's
///   ratios decay as buckets slide out, without any call).
/// Then only the breaker's time in its current state moved since its last reading, by exactly the time elapsed on
/// its clock (a period ends only at a transition, which a new generation shows): that one value is re-formatted
/// from the last reading (``BreakerGaugeReading/nanosecondsInCurrentState(at:)``), everything else is copied.
///
/// ## When a breaker's bytes are rendered into the cache
/// A breaker that is read anew is rendered straight into the response, from its cells, as before there was a cache:
/// rendering it into the cache and copying those bytes into the response cost more than the rendering (a scrape
/// after which every breaker changed was 1.2–1.7× slower that way). Its cached renderings are left stale (their
/// ``Rendered/version`` is older than ``version``), and a format is rendered into the cache at the first scrape in
/// that format that reuses the breaker: from its cells, which then show no event newer than the stamp (the stamp
/// did not move) or, if an event landed since, one that the next scrape's stamp will show. A breaker that changes
/// at every scrape is thus never rendered twice.
///
/// ## Why a reused value is never older than an event the scrape could have seen
/// Every write a call makes to what the series show happens before its count's increment, which is its last write
/// and a releasing one: the core records a closed call's outcome in its window before the monitors hear of it
/// (`CircuitBreaker.recordClosed`), and the monitor records the duration (histogram, exemplar) before it counts the
/// call. Likewise a transition or an override bumps ``SeriesLayout/events`` after its counters and gauges are
/// written. In the core, a transition, an override or a reset bumps the breaker's change count under its lock, and
/// a transition moves the generation there too, before any monitor hears of it: so a change made by a call that
/// returned is in the stamp even if another thread is still delivering its events to the monitors (the events of
/// one breaker are delivered by one thread at a time). A scrape reads the stamp (acquiring) *before* it reads
/// anything it renders, and reads the breaker under its lock after. So:
/// - if an event's last write is counted in the stamp of scrape `n`, everything the event wrote is visible to the
///   reads that render scrape `n`;
/// - if it is not, and the event completed before scrape `n + 1` read its stamp, that stamp differs (the counters
///   only grow), and scrape `n + 1` reads and renders the breaker anew.
/// A scrape that reuses bytes therefore shows every event completed before it took its stamp, as a fresh render
/// would; and its time-in-state value is the one a fresh reading at the same clock reading gives. The exposition
/// tests render each state twice, reused and fresh, and compare the bytes.
///
/// ## Concurrent scrapes
/// Scrapes run concurrently (there is no registry-wide render lock). Each breaker's cache has its own ``lock``, held
/// only while a scrape decides about that breaker, refreshes it, renders a stale format into the cache and copies
/// out its ``ScrapedRendering``: a few microseconds at most. The copy shares the rendering's bytes (copy on write),
/// so a scrape that later rewrites the cache leaves the bytes another scrape is copying intact. Two scrapes that
/// read the same breaker anew each refresh it; the gauges apply only the newer reading (``LatestSnapshot``).
///
/// `@unchecked Sendable`: every field but ``lock`` is read and written only with ``lock`` held.
final class SeriesRenderCache: @unchecked Sendable {
    /// Guards every other field (see "Concurrent scrapes").
    let lock = Lock()

    /// What identifies a breaker's series apart from time (see the type's documentation).
    struct ChangeStamp: Equatable {
        var generation: UInt64
        /// `CircuitBreaker.changeCount`.
        var changes: UInt64
        /// The sum of the monitor's ``SeriesLayout/changeCells``.
        var count: UInt64
    }

    /// The rendering of one breaker in one format: its bytes of every breaker family, family after family.
    struct Rendered {
        /// The ``SeriesRenderCache/version`` it was rendered at.
        var version: UInt64
        var bytes: [UInt8] = []
        /// `bytes[familyEnds[f]..<familyEnds[f + 1]]` holds family `f` (by raw value).
        var familyEnds: [Int] = []
        /// Text: where the number of the current state's `circuit_breaker_state_seconds_total` sample is, to be
        /// rewritten when the rendering is reused.
        var currentStateValue: Range<Int> = 0..<0
        /// The raw state the gauges held when it was rendered: the state whose sample ``currentStateValue`` is.
        var markedState: UInt64 = .max
    }

    /// The stamp at the last refresh, and the reading the gauges then took.
    var refreshed: ChangeStamp?
    var reading: BreakerGaugeReading?
    /// Counts the refreshes: a rendering of an older version is stale.
    var version: UInt64 = 0
    /// For this scrape: the nanoseconds in the current state when the breaker is reused; nil when it was read.
    var projectedNanoseconds: Int64?
    /// By format: text 0.0.4, OpenMetrics, protobuf.
    var formats: [Rendered?] = [nil, nil, nil]

    static let textIndex = 0
    static let openMetricsIndex = 1
    static let protobufIndex = 2

    /// How many breaker families there are: those before the groups' families (``BreakerFamily/isGroupFamily``),
    /// in the order they are rendered.
    static let familyCount = BreakerFamily.keyState.rawValue

    /// This scrape's part of the breaker in format `index`, once it was prepared: nil bytes when it was read anew,
    /// to be rendered straight into the response.
    func scraped(format index: Int, reused: Bool) -> ScrapedRendering {
        guard reused else { return ScrapedRendering(rendered: nil, projected: nil) }
        let projected = projectedNanoseconds.flatMap { nanoseconds in
            reading.map { (nanoseconds, Int($0.state.rawValue)) }
        }
        return ScrapedRendering(rendered: formats[index], projected: projected)
    }

    /// Forgets every rendering, so that the next scrape reads and renders every breaker anew (a test hook, to
    /// compare a reused rendering with a fresh one).
    func invalidate() {
        refreshed = nil
        reading = nil
        formats = [nil, nil, nil]
    }
}

/// One breaker's part of one scrape: its rendering in the scrape's format and what to rewrite in it, read from its
/// ``SeriesRenderCache`` once per scrape. The families' loops over the breakers then read these plain values
/// rather than each breaker's cache, a class whose every field access is checked for exclusivity and retains what
/// it returns (in `perf` of a scrape reusing every breaker, those retains, releases and copies were among its
/// largest costs).
struct ScrapedRendering {
    /// The reused rendering; nil when the breaker was read anew, to be rendered from its cells into the response.
    var rendered: SeriesRenderCache.Rendered?
    /// When the breaker is reused: its nanoseconds in the current state, and that state's raw value.
    var projected: (nanoseconds: Int64, state: Int)?
}

extension TextFormat {
    /// The index of the format in ``SeriesRenderCache/formats``.
    var cacheIndex: Int {
        switch self {
        case .prometheus: SeriesRenderCache.textIndex
        case .openMetrics: SeriesRenderCache.openMetricsIndex
        }
    }
}

extension BreakerSeries {
    /// Decides, with the cache's lock held, whether this scrape reads the breaker anew or reuses its last
    /// rendering (see ``SeriesRenderCache``), and reads it if needed; returns whether it is reused.
    func prepareForScrape() -> Bool {
        cache.projectedNanoseconds = nil
        guard !isAggregate, let breaker = gauges.source else {
            // A group's aggregate has no breaker (its counts come from its keys) and a detached breaker has no
            // reading: render their cells anew.
            cache.version &+= 1
            return false
        }
        // The stamp first, then the reads (the ordering argument above).
        let (state, generation) = breaker.settledStateAndGeneration()
        let changes = breaker.changeCount
        var count: UInt64 = 0
        for cell in SeriesLayout.changeCells { count &+= cells.loadAcquiring(cell) }
        let stamp = SeriesRenderCache.ChangeStamp(generation: generation, changes: changes, count: count)
        let now = breaker.clock.coarseNanoseconds()
        if let reading = cache.reading, cache.refreshed == stamp, reading.state == state,
            reading.generation == generation,
            state == .closed || state == .open || state == .forcedOpen,
            !Self.windowMaySlide(reading, breaker: breaker, now: now)
        {
            cache.projectedNanoseconds = reading.nanosecondsInCurrentState(at: now)
            return true
        }
        refresh()
        cache.reading = gauges.latest
        cache.refreshed = stamp
        cache.version &+= 1
        return false
    }

    /// Whether the window read in `reading` may have lost a bucket by `now`: it held calls, it slides with time,
    /// and `now` is in another bucket.
    private static func windowMaySlide(_ reading: BreakerGaugeReading, breaker: CircuitBreaker, now: Int64) -> Bool {
        guard reading.windowCalls > 0, let bucket = breaker.windowBucketNanoseconds else { return false }
        return now / bucket != reading.windowReadAt / bucket
    }
}
