"""Scenarios about breaker states: outages on one instance and on half a fleet, blips, a failed scrape in the middle
of an outage, idle tripped breakers, short opens and operator overrides."""

from breaker_model import Breaker, failing_at
from scenario_kit import Alerts, Samples, Scenario, fired, healthy, instance, quiet_everywhere

# Outage from 10m to 20m on one instance of four: a single-instance warning, no page.
ONE_INSTANCE = Scenario(
    "one instance open for ten minutes: CircuitBreakerOpen, no page",
    "24m",
    [instance("api", "i1", [Breaker("payments", [(0, "closed"), ("10m", "open"), ("20m", "closed")]),
                            healthy("catalog")])]
    + [instance("api", f"i{n}", [healthy("payments"), healthy("catalog")]) for n in (2, 3, 4)],
    [
        Alerts("11m", "CircuitBreakerOpen", []),
        Alerts("13m", "CircuitBreakerOpen", [fired("api", "i1", "payments")]),
        Alerts("19m", "CircuitBreakerOpen", [fired("api", "i1", "payments")]),
        Alerts("20m", "CircuitBreakerOpen", []),
        Alerts("19m", "CircuitBreakerFleetRejecting", []),
        Alerts("19m", "CircuitBreakerFlapping", []),
        Alerts("19m", "CircuitBreakerTargetDown", []),
        Alerts("19m", "CircuitBreakerSeriesVanished", []),
        Alerts("19m", "CircuitBreakerOverridden", []),
        Alerts("19m", "CircuitBreakerRegistrationsRejected", []),
    ],
)

# Exactly half of four instances reject from 10m to 25m: the page fires, and keeps firing 2 minutes after recovery.
HALF_FLEET = Scenario(
    "half of the fleet rejecting: the page, exactly half included",
    "30m",
    [instance("api", f"i{n}", [Breaker("payments", [(0, "closed"), ("10m", "open"), ("25m", "closed")],
                                       histogram=True)]) for n in (1, 2)]
    + [instance("api", f"i{n}", [Breaker("payments", [(0, "closed")], histogram=True)]) for n in (3, 4)],
    [
        Alerts("13m", "CircuitBreakerFleetRejecting", []),
        Alerts("15m", "CircuitBreakerFleetRejecting", [dict(job="api", breaker="payments")]),
        Alerts("24m", "CircuitBreakerFleetRejecting", [dict(job="api", breaker="payments")]),
        Alerts("26m", "CircuitBreakerFleetRejecting", [dict(job="api", breaker="payments")]),
        Alerts("28m", "CircuitBreakerFleetRejecting", []),
        Alerts("15m", "CircuitBreakerOpen", [fired("api", "i1", "payments"), fired("api", "i2", "payments")]),
        Samples("15m", "instance:circuit_breaker_open:ratio_rate3m", [
            ('instance:circuit_breaker_open:ratio_rate3m{job="api", instance="i1", breaker="payments"}', 1),
            ('instance:circuit_breaker_open:ratio_rate3m{job="api", instance="i2", breaker="payments"}', 1),
            ('instance:circuit_breaker_open:ratio_rate3m{job="api", instance="i3", breaker="payments"}', 0),
            ('instance:circuit_breaker_open:ratio_rate3m{job="api", instance="i4", breaker="payments"}', 0)]),
        Samples("15m", 'instance:circuit_breaker_rejected:ratio_rate3m{instance=~"i1|i3"}', [
            ('instance:circuit_breaker_rejected:ratio_rate3m{job="api", instance="i1", breaker="payments"}', 1),
            ('instance:circuit_breaker_rejected:ratio_rate3m{job="api", instance="i3", breaker="payments"}', 0)]),
        Samples("15m", 'instance:circuit_breaker_tripped:now{instance=~"i2|i4"}', [
            ('instance:circuit_breaker_tripped:now{job="api", instance="i2", breaker="payments"}', 1),
            ('instance:circuit_breaker_tripped:now{job="api", instance="i4", breaker="payments"}', 0)]),
        Samples("26m", 'instance:circuit_breaker_tripped:now{instance="i2"}', [
            ('instance:circuit_breaker_tripped:now{job="api", instance="i2", breaker="payments"}', 0)]),
        Samples("15m", 'instance:circuit_breaker_rejecting:bool{instance=~"i2|i4"}', [
            ('instance:circuit_breaker_rejecting:bool{job="api", instance="i2", breaker="payments"}', 1),
            ('instance:circuit_breaker_rejecting:bool{job="api", instance="i4", breaker="payments"}', 0)]),
        Samples("15m", 'instance:circuit_breaker_not_closed:ratio_rate3m{instance=~"i1|i3"}', [
            ('instance:circuit_breaker_not_closed:ratio_rate3m{job="api", instance="i1", breaker="payments"}', 1),
            ('instance:circuit_breaker_not_closed:ratio_rate3m{job="api", instance="i3", breaker="payments"}', 0)]),
        Samples("15m", 'instance:circuit_breaker_state:code{instance=~"i1|i3"}', [
            ('instance:circuit_breaker_state:code{job="api", instance="i1", breaker="payments"}', 2),
            ('instance:circuit_breaker_state:code{job="api", instance="i3", breaker="payments"}', 0)]),
        Samples("15m", "job:circuit_breaker_instances_rejecting:ratio", [
            ('job:circuit_breaker_instances_rejecting:ratio{job="api", breaker="payments"}', 0.5)]),
        Samples("15m", 'instance:circuit_breaker_call_duration_seconds_bucket:rate3m{instance="i3"}', [
            ('instance:circuit_breaker_call_duration_seconds_bucket:rate3m'
             '{job="api", instance="i3", breaker="payments", le="0.1"}', 10),
            ('instance:circuit_breaker_call_duration_seconds_bucket:rate3m'
             '{job="api", instance="i3", breaker="payments", le="+Inf"}', 10)]),
        Samples("15m", 'instance:circuit_breaker_call_duration_seconds:p50_rate3m{instance="i3"}', [
            ('instance:circuit_breaker_call_duration_seconds:p50_rate3m{job="api", instance="i3", breaker="payments"}',
             0.05)]),
        Samples("15m", 'instance:circuit_breaker_call_duration_seconds:p99_rate3m{instance="i3"}', [
            ('instance:circuit_breaker_call_duration_seconds:p99_rate3m{job="api", instance="i3", breaker="payments"}',
             0.099)]),
        Samples("15m", "job:circuit_breaker_exporting_targets:count", [
            ('job:circuit_breaker_exporting_targets:count{job="api"}', 4)]),
        Samples("15m", "job:circuit_breaker_exporter:known", [('job:circuit_breaker_exporter:known{job="api"}', 1)]),
    ],
)

# The default backed-off open wait: open 5 s, a failed probe, 10 s, 20 s, 40 s, then a probe that succeeds; and a
# blip of exactly two minutes. Both on both instances of the fleet: neither pages, neither warns. For contrast,
# ledger rejects for five minutes: that pages.
BACKED_OFF = [(0, "closed"), ("10m", "open"), ("10m5s", "half_open"), ("10m6s", "open"), ("10m16s", "half_open"),
              ("10m17s", "open"), ("10m37s", "half_open"), ("10m38s", "open"), ("11m18s", "half_open"),
              ("11m19s", "closed")]
BLIP = Scenario(
    "blips that healed within two minutes: no page, no warning",
    "20m",
    [instance("api", f"i{n}", [Breaker("payments", BACKED_OFF),
                               Breaker("search", [(0, "closed"), ("10m", "open"), ("12m", "closed")]),
                               Breaker("ledger", [(0, "closed"), ("10m", "open"), ("15m", "closed")])])
     for n in (1, 2)],
    [
        Alerts(t, "CircuitBreakerFleetRejecting", []) for t in ("11m", "12m", "13m")
    ]
    + [
        Alerts(t, "CircuitBreakerFleetRejecting", [dict(job="api", breaker="ledger")]) for t in ("14m", "16m")
    ]
    + [
        Alerts(t, "CircuitBreakerOpen", [fired("api", "i1", "ledger"), fired("api", "i2", "ledger")])
        for t in ("13m", "14m")
    ]
    + quiet_everywhere(["CircuitBreakerFlapping"], ["11m", "12m", "13m", "14m", "15m", "16m"])
    + quiet_everywhere(["CircuitBreakerOpen"], ["11m", "12m", "15m", "16m"]),
)

# Both instances reject from 10m to 30m; i1 fails one scrape while the page is pending and both fail one scrape
# while it fires: nothing resolves, nothing restarts, nothing else fires.
FAILED_SCRAPE = Scenario(
    "a failed scrape in the middle of an outage",
    "34m",
    [instance("api", "i1", [Breaker("payments", [(0, "closed"), ("10m", "open"), ("30m", "closed")])],
              scrape=failing_at("13m", "20m")),
     instance("api", "i2", [Breaker("payments", [(0, "closed"), ("10m", "open"), ("30m", "closed")])],
              scrape=failing_at("20m"))],
    [
        Alerts("13m", "CircuitBreakerOpen", [fired("api", "i1", "payments"), fired("api", "i2", "payments")]),
        Alerts("14m", "CircuitBreakerFleetRejecting", [dict(job="api", breaker="payments")]),
        Alerts("20m", "CircuitBreakerFleetRejecting", [dict(job="api", breaker="payments")]),
        Alerts("21m", "CircuitBreakerFleetRejecting", [dict(job="api", breaker="payments")]),
        Alerts("20m", "CircuitBreakerOpen", [fired("api", "i1", "payments"), fired("api", "i2", "payments")]),
        Alerts("21m", "CircuitBreakerOpen", [fired("api", "i1", "payments"), fired("api", "i2", "payments")]),
        Samples("20m", "instance:circuit_breaker_tripped:now", [
            ('instance:circuit_breaker_tripped:now{job="api", instance="i1", breaker="payments"}', 1),
            ('instance:circuit_breaker_tripped:now{job="api", instance="i2", breaker="payments"}', 1)]),
    ]
    + quiet_everywhere(["CircuitBreakerTargetDown", "CircuitBreakerSeriesVanished", "CircuitBreakerFlapping"],
                       ["13m", "14m", "20m", "21m", "22m"]),
)


def three(payments=None, search=None, ledger=None):
    """The breakers of one instance: the given timelines, healthy where none is given."""
    return [payments or healthy("payments"), search or healthy("search"), ledger or healthy("ledger")]


# Tripped breakers whose traffic stopped. payments (i1) tripped as its traffic stopped and waits 5 s; search (i2)
# fired during an outage, then its traffic stopped while open with a 40 s wait; ledger (i3) tripped idle with a
# 4-minute wait. Each stops alerting once its wait has elapsed, at most one scrape interval later.
IDLE = Scenario(
    "idle tripped breakers stop alerting once their wait has elapsed",
    "24m",
    [
        instance("api", "i1", three(payments=Breaker("payments", [
            (0, "closed"), ("10m", "open", 0), ("10m5s", "half_open", 0)]))),
        instance("api", "i2", three(search=Breaker("search", [
            (0, "closed"), ("10m", "open"), ("20m", "open", 0), ("20m40s", "half_open", 0)]))),
        instance("api", "i3", three(ledger=Breaker("ledger", [
            (0, "closed"), ("10m", "open", 0), ("14m", "half_open", 0)]))),
        instance("api", "i4", three()),
    ],
    [
        Alerts("13m", "CircuitBreakerOpen", [fired("api", "i2", "search"), fired("api", "i3", "ledger")]),
        Alerts("15m", "CircuitBreakerOpen", [fired("api", "i2", "search")]),
        Alerts("20m", "CircuitBreakerOpen", [fired("api", "i2", "search")]),
        Alerts("21m", "CircuitBreakerOpen", [fired("api", "i2", "search")], intervals=(60,)),
        Alerts("21m", "CircuitBreakerOpen", [], intervals=(15,)),
        Alerts("22m", "CircuitBreakerOpen", []),
        Samples("12m", 'instance:circuit_breaker_tripped:now{instance="i1", breaker="payments"}', [
            ('instance:circuit_breaker_tripped:now{job="api", instance="i1", breaker="payments"}', 0)]),
    ]
    + quiet_everywhere(["CircuitBreakerFleetRejecting"], ["13m", "20m", "22m"]),
)

# Opens of 5 s every 3 minutes on payments, never seen by the state gauge; a 15-minute outage on search whose
# probes fail every minute (open <-> half_open), which is not flapping.
SHORT_OPENS = Scenario(
    "short opens between scrapes are flapping; open/half-open cycles of one outage are not",
    "26m",
    [
        instance("api", "i1", three(
            payments=Breaker("payments", [(0, "closed")] + [
                change for minute in (3, 6, 9, 12, 15)
                for change in ((f"{minute}m3s", "open"), (f"{minute}m8s", "closed"))]),
            search=Breaker("search", [(0, "closed")] + [
                change for minute in range(10, 25)
                for change in ((f"{minute}m", "open"), (f"{minute}m50s", "half_open"))] + [("25m", "closed")]))),
    ]
    + [instance("api", f"i{n}", three()) for n in (2, 3, 4)],
    [
        Alerts("11m", "CircuitBreakerFlapping", []),
        Alerts("13m", "CircuitBreakerFlapping", [fired("api", "i1", "payments")]),
        Alerts("20m", "CircuitBreakerFlapping", [fired("api", "i1", "payments")]),
        Alerts("22m", "CircuitBreakerFlapping", []),
        Alerts("14m", "CircuitBreakerOpen", [fired("api", "i1", "search")]),
        Alerts("14m", "CircuitBreakerFleetRejecting", []),
        Samples("16m", 'instance:circuit_breaker_open:ratio_rate3m{instance="i1", breaker="payments"}', [
            ('instance:circuit_breaker_open:ratio_rate3m{job="api", instance="i1", breaker="payments"}', 0.02777777777777778)]),  # 5 s of 180
        Samples("16m", 'instance:circuit_breaker_not_closed:ratio_rate3m{instance="i1", breaker="payments"}', [
            ('instance:circuit_breaker_not_closed:ratio_rate3m{job="api", instance="i1", breaker="payments"}',
             0.02777777777777778)]),
        Samples("16m", 'instance:circuit_breaker_state:code{instance="i1", breaker="payments"}', [
            ('instance:circuit_breaker_state:code{job="api", instance="i1", breaker="payments"}', 0)]),
    ],
)

# payments forced open on i1 from 5m to 45m, with failed scrapes at 30m and 40m; disabled on i2 for 15 minutes.
OVERRIDE = Scenario(
    "an operator override left in place",
    "47m",
    [
        instance("api", "i1", three(payments=Breaker("payments", [(0, "closed"), ("5m", "forced_open"),
                                                                  ("45m", "closed")])),
                 scrape=failing_at("30m", "40m")),
        instance("api", "i2", three(payments=Breaker("payments", [(0, "closed"), ("5m", "disabled"),
                                                                  ("20m", "closed")]))),
        instance("api", "i3", three()),
        instance("api", "i4", three()),
    ],
    [
        Alerts("19m", "CircuitBreakerOverridden", []),
        Alerts("31m", "CircuitBreakerOverridden", []),
        Alerts("34m", "CircuitBreakerOverridden", [fired("api", "i1", "payments")]),
        Alerts("40m", "CircuitBreakerOverridden", [fired("api", "i1", "payments")]),
        Alerts("44m", "CircuitBreakerOverridden", [fired("api", "i1", "payments")]),
        Alerts("45m", "CircuitBreakerOverridden", []),
        Samples("10m", 'instance:circuit_breaker_state:code{breaker="payments", instance=~"i1|i2"}', [
            ('instance:circuit_breaker_state:code{job="api", instance="i1", breaker="payments"}', 3),
            ('instance:circuit_breaker_state:code{job="api", instance="i2", breaker="payments"}', 4)]),
    ]
    + quiet_everywhere(["CircuitBreakerOpen", "CircuitBreakerFleetRejecting"], ["10m", "20m", "34m"]),
)

SCENARIOS = [ONE_INSTANCE, HALF_FLEET, BLIP, FAILED_SCRAPE, IDLE, SHORT_OPENS, OVERRIDE]
