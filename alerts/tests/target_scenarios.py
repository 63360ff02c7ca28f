"""Scenarios about scrape targets and fleets: targets that never came up or crash-loop, a job that vanished from
service discovery, the cardinality cap, and two clusters that share a job name."""

from breaker_model import Breaker, crash_looping, down_until, failing_at, gone_from, never_up
from scenario_kit import Alerts, Samples, Scenario, fired, healthy, instance, quiet_everywhere

# i3 never came up until 10m; i4 is a replacement that crash-loops and never exports; i1 fails one scrape at 6m.
# o1 belongs to a job that never exported breakers: not this kit's business.
NEVER_UP = Scenario(
    "targets that never came up, or crash-loop without exporting",
    "18m",
    [
        instance("api", "i1", [healthy("payments")], scrape=failing_at("6m")),
        instance("api", "i2", [healthy("payments")]),
        instance("api", "i3", [healthy("payments")], scrape=down_until("10m")),
        instance("api", "i4", [healthy("payments")], scrape=crash_looping(60)),
        instance("other", "o1", [healthy("payments")], scrape=never_up),
    ],
    [
        Alerts("2m", "CircuitBreakerTargetDown", []),
        Alerts("4m", "CircuitBreakerTargetDown", [dict(job="api", instance="i3"), dict(job="api", instance="i4")]),
        Alerts("7m", "CircuitBreakerTargetDown", [dict(job="api", instance="i3"), dict(job="api", instance="i4")]),
        Alerts("14m", "CircuitBreakerTargetDown", [dict(job="api", instance="i3"), dict(job="api", instance="i4")]),
        Alerts("16m", "CircuitBreakerTargetDown", [dict(job="api", instance="i4")]),
    ]
    + quiet_everywhere(["CircuitBreakerSeriesVanished"], ["4m", "7m", "16m"]),
)

# batch's only target leaves service discovery at 10m; api's only target fails one scrape at 5m.
VANISHED = Scenario(
    "a job whose breaker series vanished",
    "18m",
    [
        instance("batch", "b1", [healthy("payments")], scrape=gone_from("10m")),
        instance("api", "i1", [healthy("payments")], scrape=failing_at("5m")),
    ],
    [
        Alerts("5m", "CircuitBreakerSeriesVanished", []),
        Alerts("6m", "CircuitBreakerSeriesVanished", []),
        Alerts("12m", "CircuitBreakerSeriesVanished", []),
        Alerts("16m", "CircuitBreakerSeriesVanished", [dict(job="batch")]),
    ]
    + quiet_everywhere(["CircuitBreakerTargetDown"], ["5m", "6m", "12m", "16m"]),
)

# i1 refused 3 breakers at start-up, before its first scrape; it fails a scrape at 10m. i2 refused none.
CAP = Scenario(
    "the cardinality cap refusing breakers",
    "12m",
    [
        instance("api", "i1", [healthy("payments")], registrations_rejected=3, scrape=failing_at("10m")),
        instance("api", "i2", [healthy("payments")], registrations_rejected=0),
    ],
    [
        Alerts("1m", "CircuitBreakerRegistrationsRejected", [dict(job="api", instance="i1")]),
        Alerts("10m", "CircuitBreakerRegistrationsRejected", [dict(job="api", instance="i1")]),
        Alerts("11m", "CircuitBreakerRegistrationsRejected", [dict(job="api", instance="i1")]),
    ],
)


def clustered(cluster, name, breakers, **options):
    return instance("api", name, breakers, labels=dict(cluster=cluster), **options)


# Job "api" runs in two clusters. In eu, payments rejects on one instance of two (half: the page); in us, on none
# of four. Merged, it would be one of six. us leaves service discovery at 20m: its series vanished, eu's did not.
TWO_CLUSTERS = Scenario(
    "two clusters sharing a job name stay apart",
    "28m",
    [
        clustered("eu", "e1", [Breaker("payments", [(0, "closed"), ("10m", "open"), ("30m", "closed")])]),
        clustered("eu", "e2", [healthy("payments")]),
    ]
    + [clustered("us", f"u{n}", [healthy("payments")], scrape=gone_from("20m")) for n in (1, 2, 3, 4)],
    [
        Alerts("16m", "CircuitBreakerFleetRejecting", [dict(job="api", cluster="eu", breaker="payments")]),
        Alerts("16m", "CircuitBreakerOpen", [fired("api", "e1", "payments", cluster="eu")]),
        Alerts("27m", "CircuitBreakerSeriesVanished", [dict(job="api", cluster="us")]),
        Alerts("27m", "CircuitBreakerTargetDown", []),
        Samples("16m", "job:circuit_breaker_instances_rejecting:ratio", [
            ('job:circuit_breaker_instances_rejecting:ratio{job="api", cluster="eu", breaker="payments"}', 0.5),
            ('job:circuit_breaker_instances_rejecting:ratio{job="api", cluster="us", breaker="payments"}', 0)]),
        Samples("16m", "job:circuit_breaker_exporting_targets:count", [
            ('job:circuit_breaker_exporting_targets:count{job="api", cluster="eu"}', 2),
            ('job:circuit_breaker_exporting_targets:count{job="api", cluster="us"}', 4)]),
    ],
)

SCENARIOS = [NEVER_UP, VANISHED, CAP, TWO_CLUSTERS]
