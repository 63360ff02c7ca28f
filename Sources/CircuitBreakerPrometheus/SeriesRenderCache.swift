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
/// - the oldest bucket of its time window that held calls when it was read has not slid out of the window since
///   (a window's ratios decay as buckets slide out, without any call; an empty window cannot).
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

    /// The rendering of one breaker in one format: its bytes of every breaker family, family after family, in
    /// memory of its own, so that a scrape that holds a reference copies from it through pointers (no reference
    /// counting per family and breaker). It is rewritten in place only while the cache holds the one reference
    /// (under ``lock``); a scrape that still copies from it holds another, so a rewrite then allocates a new one.
    ///
    /// `@unchecked Sendable`: written only under the cache's ``lock`` while uniquely referenced; read by scrapes,
    /// which took their reference under that lock, while they hold it.
    final class Rendered: @unchecked Sendable {
        /// The ``SeriesRenderCache/version`` it was rendered at.
        var version: UInt64 = 0
        private(set) var bytes: UnsafeMutablePointer<UInt8>
        private(set) var capacity: Int
        /// `bytes[familyEnds[f]..<familyEnds[f + 1]]` holds family `f` (by raw value).
        let familyEnds: UnsafeMutablePointer<Int>
        /// Text: where the number of the current state's `circuit_breaker_state_seconds_total` sample is, to be
        /// rewritten when the rendering is reused.
        var currentStateValue: Range<Int> = 0..<0
        /// The raw state the gauges held when it was rendered: the state whose sample ``currentStateValue`` is.
        var markedState: UInt64 = .max

        init() {
            capacity = 0
            bytes = .allocate(capacity: 0)
            familyEnds = .allocate(capacity: SeriesRenderCache.familyCount &+ 1)
            familyEnds.initialize(repeating: 0, count: SeriesRenderCache.familyCount &+ 1)
        }

        deinit {
            bytes.deallocate()
            familyEnds.deallocate()
        }

        /// Replaces the bytes with `rendered`, whose families end at `ends` (one more than there are families).
        func store(_ rendered: [UInt8], ends: [Int]) {
            if rendered.count > capacity {
                bytes.deallocate()
                capacity = rendered.count
                bytes = .allocate(capacity: capacity)
            }
            rendered.withUnsafeBufferPointer { source in
                if let base = source.baseAddress { bytes.update(from: base, count: source.count) }
            }
            for family in 0...SeriesRenderCache.familyCount {
                familyEnds[family] = family < ends.count ? ends[family] : rendered.count
            }
        }
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

    /// The rendering of format `index` to rewrite: the current one if nothing else references it, else a new one.
    func renderingToRewrite(format index: Int) -> Rendered {
        var rendered = formats[index]
        formats[index] = nil
        if rendered == nil || !isKnownUniquelyReferenced(&rendered!) { rendered = Rendered() }
        return rendered!
    }

    /// This scrape's part of the breaker in format `index`, once it was prepared: no bytes when it was read anew,
    /// to be rendered straight into the response. A reused rendering is appended to `retained`, which the scrape
    /// keeps until it has copied the bytes.
    func scraped(
        _ series: BreakerSeries,
        format index: Int,
        reused: Bool,
        retaining retained: inout [Rendered]
    ) -> ScrapedRendering {
        var scraped = ScrapedRendering(series: .passUnretained(series))
        guard reused, let rendered = formats[index] else { return scraped }
        retained.append(rendered)
        scraped.bytes = UnsafePointer(rendered.bytes)
        scraped.familyEnds = UnsafePointer(rendered.familyEnds)
        scraped.currentStateValue = rendered.currentStateValue
        if let projectedNanoseconds, let reading {
            scraped.projectedNanoseconds = projectedNanoseconds
            scraped.projectedState = Int(reading.state.rawValue)
        }
        return scraped
    }

    /// Forgets every rendering, so that the next scrape reads and renders every breaker anew (a test hook, to
    /// compare a reused rendering with a fresh one).
    func invalidate() {
        refreshed = nil
        reading = nil
        formats = [nil, nil, nil]
    }
}

/// One breaker's part of one scrape: where its rendering in the scrape's format is and what to rewrite in it, read
/// from its ``SeriesRenderCache`` once per scrape. Plain values and pointers, so that the families' loops over the
/// breakers count no references (in `perf` and callgrind of a scrape, retains and releases of each breaker's
/// rendering, once per family, were among its largest costs); the scrape holds the renderings themselves.
struct ScrapedRendering {
    /// The breaker's series, unretained: the scrape holds every series (``RegistryState``'s scrape).
    var series: Unmanaged<BreakerSeries>
    /// The reused rendering's bytes; nil when the breaker was read anew, to be rendered from its cells into the
    /// response.
    var bytes: UnsafePointer<UInt8>?
    /// Where each family's bytes end (``SeriesRenderCache/Rendered/familyEnds``).
    var familyEnds: UnsafePointer<Int>?
    /// ``SeriesRenderCache/Rendered/currentStateValue``.
    var currentStateValue: Range<Int> = 0..<0
    /// When the breaker is reused: its nanoseconds in the current state (negative: not projected), and that
    /// state's raw value.
    var projectedNanoseconds: Int64 = -1
    var projectedState = 0
}

/// Room in which a scrape renders a breaker before its rendering is stored, reused from one breaker to the next.
struct RenderScratch {
    var bytes: [UInt8] = []
    var ends: [Int] = []
    /// For the histograms of the protobuf encoding.
    var histogram: [UInt8] = []

    mutating func clear() {
        bytes.removeAll(keepingCapacity: true)
        ends.removeAll(keepingCapacity: true)
    }
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
        if let reading = cache.reading, cache.refreshed == stamp, reading.state == state,
            reading.generation == generation,
            state == .closed || state == .open || state == .forcedOpen
        {
            let now = breaker.clock.coarseNanoseconds()
            if now < reading.windowStableUntil {
                cache.projectedNanoseconds = reading.nanosecondsInCurrentState(at: now)
                return true
            }
        }
        cache.reading = refresh(from: breaker)
        cache.refreshed = stamp
        cache.version &+= 1
        return false
    }
}
