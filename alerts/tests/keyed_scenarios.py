"""Scenarios about groups of keyed breakers (one breaker per host, tenant or endpoint): one bad key among many does
not page, most keys rejecting does; evicted keys leave the counts; a failed scrape and restarts change nothing."""

from breaker_model import Key, KeyedGroup, Restart, failing_at, good
from scenario_kit import Alerts, Samples, Scenario, instance, quiet_everywhere

PAGE = "CircuitBreakerGroupKeysRejecting"


def partner(index, changes=None, **options):
    return Key(f"p{index:02}", changes or [(0, "closed")], **options)


def down(index, start="10m", end="25m", **options):
    return partner(index, [(0, "closed"), (start, "open"), (end, "closed")], **options)


def partners(bad, count=10, **options):
    """A group of `count` keys of which the first `bad` are open from 10m to 25m."""
    return KeyedGroup("partners", [down(n) if n < bad else partner(n) for n in range(count)], **options)


def fired(job="api", breaker="partners"):
    return dict(job=job, breaker=breaker)


# One partner of ten is down on both instances for 15 minutes: no page.
ONE_BAD_KEY = Scenario(
    "one bad key of a group does not page",
    "28m",
    [instance("api", f"i{n}", [], groups=[partners(1)]) for n in (1, 2)],
    quiet_everywhere([PAGE], ["12m", "15m", "20m", "24m"])
    + [
        Samples("15m", 'instance:circuit_breaker_group_keys_rejecting:count{instance="i1"}', [
            ('instance:circuit_breaker_group_keys_rejecting:count{job="api", instance="i1", breaker="partners"}', 1)]),
        Samples("15m", 'instance:circuit_breaker_group_keys_active:count{instance="i1"}', [
            ('instance:circuit_breaker_group_keys_active:count{job="api", instance="i1", breaker="partners"}', 10)]),
        Samples("15m", "job:circuit_breaker_group_keys_rejecting:ratio", [
            ('job:circuit_breaker_group_keys_rejecting:ratio{job="api", breaker="partners"}', 0.1)]),
        Samples("15m", 'instance:circuit_breaker_key_open:present{instance="i1"}', [
            ('instance:circuit_breaker_key_open:present'
             '{job="api", instance="i1", breaker="partners", key="p00", state="open"}', 1)]),
        Samples("15m", 'instance:circuit_breaker_key_rejected_calls:nonzero{instance="i2"}', [
            ('instance:circuit_breaker_key_rejected_calls:nonzero'
             '{job="api", instance="i2", breaker="partners", key="p00", outcome="rejected"}', 3000)]),
        # The dashboard's top-N panels over a 5-minute range: p00 rejected 10 calls a second on each instance, and
        # was open at every evaluation.
        Samples("20m", 'topk(10, sum by (job, breaker, key) ('
                       'increase(instance:circuit_breaker_key_rejected_calls:nonzero[5m])) > 0)', [
            ('{job="api", breaker="partners", key="p00"}', 6000)]),
        Samples("20m", 'topk(10, avg by (job, breaker, key) ('
                       'count_over_time(instance:circuit_breaker_key_open:present[5m])'
                       ' / ignoring (breaker, key, state) group_left count_over_time(up[5m])) > 0)', [
            ('{job="api", breaker="partners", key="p00"}', 1)]),
    ],
)

# Exactly half the keys down does not page ("most" is over half); seven of ten does, from 10m to 25m on both
# instances, with i1 failing a scrape at 18m: the page fires once, stays firing, and ends 2 minutes after the keys
# recovered.
MOST_KEYS = Scenario(
    "most keys of a group rejecting pages; exactly half does not",
    "32m",
    [instance("api", f"i{n}", [], groups=[partners(7)], scrape=failing_at("18m") if n == 1 else good)
     for n in (1, 2)]
    + [instance("half", f"h{n}", [], groups=[partners(5)]) for n in (1, 2)],
    [
        Alerts("12m", PAGE, []),
        Alerts("14m", PAGE, [fired()]),
        Alerts("18m", PAGE, [fired()]),
        Alerts("19m", PAGE, [fired()]),
        Alerts("24m", PAGE, [fired()]),
        Alerts("26m", PAGE, [fired()]),
        Alerts("28m", PAGE, []),
        Samples("16m", "job:circuit_breaker_group_keys_rejecting:ratio", [
            ('job:circuit_breaker_group_keys_rejecting:ratio{job="api", breaker="partners"}', 0.7),
            ('job:circuit_breaker_group_keys_rejecting:ratio{job="half", breaker="partners"}', 0.5)]),
    ]
    + quiet_everywhere(["CircuitBreakerOpen", "CircuitBreakerFleetRejecting"], ["14m", "20m"]),
)

# Seven keys of ten down from 10m to 30m on both instances; i1 restarts at 18m between two scrapes, i2 at 22m after
# a minute down. The page stays firing through both.
RESTART = Scenario(
    "instances restarting while most keys reject: the page stays firing",
    "36m",
    [
        instance("api", "i1", [], groups=[KeyedGroup("partners", [down(n, end="30m") if n < 7 else partner(n)
                                                                  for n in range(10)])],
                 restarts=[Restart("18m")]),
        instance("api", "i2", [], groups=[KeyedGroup("partners", [down(n, end="30m") if n < 7 else partner(n)
                                                                  for n in range(10)])],
                 restarts=[Restart("22m", down="1m")]),
    ],
    [Alerts(t, PAGE, [fired()]) for t in ("15m", "17m", "18m", "19m", "20m", "21m", "22m", "23m", "24m", "29m")]
    + [Alerts("33m", PAGE, [])],
)

# Keys come and go: on i1, p08 and p09 are evicted at 12m and four new keys arrive (two of them down), and the
# evicted keys' series end. The counts follow the keys that exist; the share stays under half.
EVICTION = Scenario(
    "evicted keys leave the group's counts",
    "24m",
    [
        instance("api", "i1", [], groups=[KeyedGroup(
            "partners",
            [down(n) for n in range(3)] + [partner(n) for n in range(3, 8)]
            + [partner(n, evicted="12m") for n in (8, 9)]
            + [down(n, start="13m", created="12m") for n in (10, 11)]
            + [partner(n, created="12m") for n in (12, 13)],
            maximum_keys=12)]),
    ],
    [
        Samples("11m", 'instance:circuit_breaker_group_keys_active:count', [
            ('instance:circuit_breaker_group_keys_active:count{job="api", instance="i1", breaker="partners"}', 10)]),
        Samples("16m", 'instance:circuit_breaker_group_keys_active:count', [
            ('instance:circuit_breaker_group_keys_active:count{job="api", instance="i1", breaker="partners"}', 12)]),
        Samples("16m", 'instance:circuit_breaker_group_keys_rejecting:count', [
            ('instance:circuit_breaker_group_keys_rejecting:count{job="api", instance="i1", breaker="partners"}', 5)]),
        Samples("16m", 'circuit_breaker_key_state{key="p08", state="closed"}', []),
        Samples("16m", 'circuit_breaker_group_evictions_total', [
            ('circuit_breaker_group_evictions_total{job="api", instance="i1", breaker="partners"}', 2)]),
    ]
    + quiet_everywhere([PAGE], ["14m", "16m", "20m"]),
)

SCENARIOS = [ONE_BAD_KEY, MOST_KEYS, RESTART, EVICTION]
