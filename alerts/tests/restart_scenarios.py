"""Scenarios about restarts: an instance that restarts in the middle of an incident comes back with every counter at
zero and its tripped breakers closed for a scrape before they trip again (breaker_model.Restart). For every alert,
a restart neither resolves a firing alert (to fire it again minutes later) nor fires one that should not fire.
Restarts come in two kinds: between two scrapes (no scrape fails) and after a minute down (every scrape of that
minute fails)."""

from breaker_model import Breaker, Restart, crash_looping, silent_from
from scenario_kit import Alerts, Samples, Scenario, fired, healthy, instance, quiet_everywhere


def outage(name, start="10m", end="30m", **options):
    return Breaker(name, [(0, "closed"), (start, "open"), (end, "closed")], **options)


# payments rejects on both instances from 10m to 30m: the page and both warnings fire by 15m. i1 restarts at 20m
# between two scrapes, i2 at 24m after a minute down. Everything that fired stays firing through both restarts,
# and everything resolves as it would without them once the outage ends.
OUTAGE = Scenario(
    "instances restarting in an outage: the page and the warnings stay firing",
    "36m",
    [
        instance("api", "i1", [outage("payments"), healthy("catalog")], restarts=[Restart("20m")]),
        instance("api", "i2", [outage("payments"), healthy("catalog")], restarts=[Restart("24m", down="1m")]),
    ],
    [
        Alerts(t, "CircuitBreakerFleetRejecting", [dict(job="api", breaker="payments")])
        for t in ("15m", "19m", "20m", "21m", "22m", "23m", "24m", "25m", "26m", "29m")
    ]
    + [
        Alerts(t, "CircuitBreakerOpen", [fired("api", "i1", "payments"), fired("api", "i2", "payments")])
        for t in ("13m", "19m", "20m", "21m", "22m", "23m", "24m", "25m", "26m", "29m")
    ]
    + [
        Alerts("31m", "CircuitBreakerOpen", []),
        Alerts("33m", "CircuitBreakerFleetRejecting", []),
        Samples("20m", 'instance:circuit_breaker_tripped:now{breaker="payments"}', [
            ('instance:circuit_breaker_tripped:now{job="api", instance="i1", breaker="payments"}', 1),
            ('instance:circuit_breaker_tripped:now{job="api", instance="i2", breaker="payments"}', 1)]),
        Samples("24m", 'instance:circuit_breaker_tripped:now{breaker="payments"}', [
            ('instance:circuit_breaker_tripped:now{job="api", instance="i1", breaker="payments"}', 1),
            ('instance:circuit_breaker_tripped:now{job="api", instance="i2", breaker="payments"}', 1)]),
        Samples("24m", 'instance:circuit_breaker_tripped:now{breaker="catalog"}', [
            ('instance:circuit_breaker_tripped:now{job="api", instance="i1", breaker="catalog"}', 0),
            ('instance:circuit_breaker_tripped:now{job="api", instance="i2", breaker="catalog"}', 0)]),
    ]
    + quiet_everywhere(["CircuitBreakerFlapping", "CircuitBreakerTargetDown", "CircuitBreakerSeriesVanished"],
                       ["20m", "21m", "24m", "25m", "26m"]),
)

# A restart that fixed the outage (a fix deployed during the incident): i1's breaker stays closed after its restart
# at 20m. Its warning resolves once the restarted breaker is 3 minutes old, with nothing fired again.
FIXED_BY_RESTART = Scenario(
    "a restart that fixes the outage: the warning resolves, nothing fires again",
    "30m",
    [instance("api", "i1", [outage("payments", end="20m")], restarts=[Restart("20m")])]
    + [instance("api", f"i{n}", [healthy("payments")]) for n in (2, 3)],
    [
        Alerts("19m", "CircuitBreakerOpen", [fired("api", "i1", "payments")]),
        Alerts("20m", "CircuitBreakerOpen", [fired("api", "i1", "payments")]),
        Alerts("22m", "CircuitBreakerOpen", [fired("api", "i1", "payments")]),
        Alerts("24m", "CircuitBreakerOpen", []),
        Alerts("28m", "CircuitBreakerOpen", []),
        Samples("24m", 'instance:circuit_breaker_tripped:now{instance="i1"}', [
            ('instance:circuit_breaker_tripped:now{job="api", instance="i1", breaker="payments"}', 0)]),
    ]
    + quiet_everywhere(["CircuitBreakerFleetRejecting"], ["20m", "24m"]),
)

# payments on i1 opens for 5 s every 3 minutes (as in "short opens"); i1 restarts at 14m, between two opens, and
# again at 17m after a minute down. Flapping keeps firing through both.
FLAPPING = Scenario(
    "a flapping breaker's instance restarts: CircuitBreakerFlapping stays firing",
    "26m",
    [
        instance("api", "i1", [Breaker("payments", [(0, "closed")] + [
            change for minute in (3, 6, 9, 12, 15, 18)
            for change in ((f"{minute}m3s", "open"), (f"{minute}m8s", "closed"))])],
            restarts=[Restart("14m"), Restart("17m", down="1m")]),
        instance("api", "i2", [healthy("payments")]),
    ],
    [
        Alerts(t, "CircuitBreakerFlapping", [fired("api", "i1", "payments")])
        for t in ("13m", "14m", "15m", "16m", "17m", "18m", "20m")
    ]
    + [Alerts("25m", "CircuitBreakerFlapping", [])]
    + quiet_everywhere(["CircuitBreakerOpen", "CircuitBreakerTargetDown"], ["14m", "17m"]),
)

# payments forced open by a plain forceOpen() (no end) from 5m on both instances; i1 restarts at 38m between two
# scrapes, i2 at 40m after a minute down: the override comes back with the process (re-applied at start-up).
OVERRIDDEN = Scenario(
    "an overridden breaker's instance restarts: CircuitBreakerOverridden stays firing",
    "46m",
    [
        instance("api", "i1", [Breaker("payments", [(0, "closed"), ("5m", "forced_open")], overrides=[])],
                 restarts=[Restart("38m")]),
        instance("api", "i2", [Breaker("payments", [(0, "closed"), ("5m", "forced_open")], overrides=[])],
                 restarts=[Restart("40m", down="1m")]),
    ],
    [
        Alerts(t, "CircuitBreakerOverridden", [fired("api", "i1", "payments"), fired("api", "i2", "payments")])
        for t in ("36m", "38m", "39m", "40m", "41m", "44m")
    ]
    + quiet_everywhere(["CircuitBreakerOpen", "CircuitBreakerFleetRejecting"], ["38m", "40m"]),
)

# i1 refused 3 breakers at start-up; it restarts at 6m and again at 9m after a minute down. The new process refuses
# them again when it creates them, which may be after its first scrape: that scrape reads 0.
CAP = Scenario(
    "a target refusing breakers restarts: CircuitBreakerRegistrationsRejected stays firing",
    "12m",
    [
        instance("api", "i1", [healthy("payments")], registrations_rejected=3,
                 restarts=[Restart("6m"), Restart("9m", down="1m")]),
        instance("api", "i2", [healthy("payments")], registrations_rejected=0, restarts=[Restart("6m")]),
    ],
    [
        Alerts(t, "CircuitBreakerRegistrationsRejected", [dict(job="api", instance="i1")])
        for t in ("5m", "6m", "7m", "8m", "9m", "10m", "11m")
    ],
)

# Targets that restart are not down: i1 restarts at 6m after a minute down and i2 at 8m between two scrapes; the
# batch job's only target restarts at 7m after two minutes down. Meanwhile i4, a crash-looping replacement, fires
# CircuitBreakerTargetDown, and keeps firing.
TARGETS = Scenario(
    "restarting targets are neither down nor vanished",
    "16m",
    [
        instance("api", "i1", [healthy("payments")], restarts=[Restart("6m", down="1m")]),
        instance("api", "i2", [healthy("payments")], restarts=[Restart("8m")]),
        instance("api", "i4", [healthy("payments")], scrape=crash_looping(60)),
        instance("batch", "b1", [healthy("payments")], restarts=[Restart("7m", down="2m")]),
    ],
    [
        Alerts(t, "CircuitBreakerTargetDown", [dict(job="api", instance="i4")])
        for t in ("4m", "5m", "6m", "7m", "8m", "9m", "10m", "12m")
    ]
    + quiet_everywhere(["CircuitBreakerSeriesVanished"], ["6m", "7m", "8m", "10m", "12m", "14m"]),
)


def clustered(cluster, name, breakers, **options):
    return instance("api", name, breakers, labels=dict(cluster=cluster), **options)


# At the global tier: a1 restarts at 8m after a minute down, a2 at 10m between two scrapes; cluster a's edge keeps
# writing `up` throughout, so no cluster goes quiet. b's edge is killed at 6m: b goes quiet, and stays so.
GLOBAL = Scenario(
    "restarting targets do not make their cluster quiet at the global tier",
    "16m",
    [
        clustered("a", "a1", [healthy("payments")], restarts=[Restart("8m", down="1m")]),
        clustered("a", "a2", [healthy("payments")], restarts=[Restart("10m")]),
        clustered("b", "b1", [healthy("payments")], scrape=silent_from("6m")),
    ],
    [
        Alerts(t, "CircuitBreakerClusterNoData", [dict(cluster="b")]) for t in ("9m", "10m", "11m", "14m")
    ]
    + quiet_everywhere(["CircuitBreakerTargetDown"], ["8m", "10m"]),
)

SCENARIOS = [OUTAGE, FIXED_BY_RESTART, FLAPPING, OVERRIDDEN, CAP, TARGETS, GLOBAL]
