#!/usr/bin/env python3
"""The demo's partners group of keyed breakers, scraped every second by a real Prometheus with the shipped rules.

Two demos, one scrape job each:
- "few-failing": 20 partners, 2 through an outage, and made-up keys (visitor-1, visitor-2, ...) at 20 calls per
  second pushing at the group's cap of 40 keys: the eviction attack.
- "most-failing": 10 partners, 8 through an outage.

Checked against Prometheus:
1. Per-key state: a partner in an outage is open under its own key while a healthy partner stays closed.
2. Eviction removes series: evictions are counted, the keys exported stay within the cap, and a made-up key that
   Prometheus scraped earlier has no series at the latest scrape.
3. The eviction attack fails: the failing partner's series were present at every scrape while made-up keys were
   being evicted, and its counters never reset (its history was never lost), and it keeps rejecting.
4. The group alert (CircuitBreakerGroupKeysRejecting) goes pending where most keys reject, and not where two of 20 do.

Every process is stopped at the end, however the run ends.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402
from harness import alerts, series  # noqa: E402

FEW, MOST = "few-failing", "most-failing"


def value(prometheus, query):
    """The single value of an instant query, or None when it has no series (or failed)."""
    result = series(prometheus, query)
    return float(result[0]["value"][1]) if result and len(result) == 1 else None


def scenario(run, demo):
    if not run.check(os.access(demo, os.X_OK) and harness.find_tool("prometheus"),
                     f"demo ({demo}) and prometheus are installed"):
        return
    few, most, prom_port = harness.free_ports(3)
    config = run.prometheus_config("1s", {FEW: [f"127.0.0.1:{few}"], MOST: [f"127.0.0.1:{most}"]})
    prometheus = run.start_prometheus(config, prom_port)

    common = ["--bind", "127.0.0.1", "--quiet", "--duration", "300", "--outage-offset", "2",
              "--outage-duration", "600", "--outage-period", "3600"]
    run.start(FEW, [demo, "--port", str(few), "--partners", "20", "--partner-outages", "2", "--made-up-keys", "20"]
              + common)
    run.start(MOST, [demo, "--port", str(most), "--partners", "10", "--partner-outages", "8"] + common)
    run.wait_until(30, "every shipped rule loaded and evaluated without error", lambda: run.rules_healthy(prometheus))

    # 1. Per-key state.
    key = 'circuit_breaker_key_state{{job="{job}", breaker="partners", key="{key}", state="{state}"}}'
    run.wait_until(60, "partner-01 (in an outage) is open under its own key",
                   lambda: value(prometheus, f'max_over_time({key.format(job=FEW, key="partner-01", state="open")}'
                                             f'[1m])') == 1)
    run.check(value(prometheus, key.format(job=FEW, key="partner-05", state="closed")) == 1,
              "partner-05 (healthy) is closed under its own key")

    # 2. Eviction removes series.
    evictions = f'circuit_breaker_group_evictions_total{{job="{FEW}", breaker="partners"}}'
    run.wait_until(30, "made-up keys evict idle keys (evictions counted)",
                   lambda: (value(prometheus, evictions) or 0) > 20)
    visitors = f'circuit_breaker_key_state{{job="{FEW}", key=~"visitor-.+", state="closed"}}'
    seen = series(prometheus, f"count_over_time({visitors}[5m])") or []
    run.check(len(seen) > 0, f"Prometheus scraped made-up keys while they held a slot ({len(seen)} of them)")
    first = min(seen, key=lambda s: int(s["metric"]["key"].removeprefix("visitor-")))["metric"]["key"] if seen else ""
    run.wait_until(10, f"{first}, the oldest made-up key scraped, evicted, has no series at the latest scrape",
                   lambda: series(prometheus, f'{visitors[:-1]}, key="{first}"}}') == [])
    keys_now = value(prometheus, f'count(circuit_breaker_key_state{{job="{FEW}", key!="", state="closed"}})')
    cap = value(prometheus, f'circuit_breaker_group_max_keys{{job="{FEW}", breaker="partners"}}')
    run.check(keys_now is not None and cap == 40 and keys_now <= cap,
              f"the keys exported stay within the cap ({keys_now} keys, cap {cap})")

    # 3. The attack fails: partner-01 kept its slot and its history while visitors were evicted.
    window = "30s"
    run.wait_until(60, f"Prometheus holds {window} of scrapes of the attack",
                   lambda: (value(prometheus, f'count_over_time(up{{job="{FEW}"}}[{window}])') or 0) >= 25)
    present = value(prometheus, f'count_over_time({key.format(job=FEW, key="partner-01", state="open")}[{window}])')
    scrapes = value(prometheus, f'count_over_time(up{{job="{FEW}"}}[{window}])')
    evicted = value(prometheus, f"increase({evictions}[{window}])")
    run.check(present is not None and present == scrapes and (evicted or 0) > 0,
              f"partner-01's series were in every scrape of the last {window} ({present} of {scrapes}) while "
              f"{evicted} keys were evicted")
    transitions = f'circuit_breaker_key_transitions_total{{job="{FEW}", key="partner-01"}}'
    run.check(series(prometheus, f"resets({transitions}[5m]) > 0") == [],
              "partner-01's transition counters never reset: its breaker was never evicted and re-created")
    rejected = f'circuit_breaker_key_calls_total{{job="{FEW}", key="partner-01", outcome="rejected"}}'
    run.wait_until(20, "partner-01 keeps rejecting its calls (the failing upstream is not called forever)",
                   lambda: (value(prometheus, f"increase({rejected}[{window}])") or 0) > 0)

    # 4. The group alert: most keys rejecting pages, two keys of twenty do not.
    run.wait_until(90, "CircuitBreakerGroupKeysRejecting pending for the group where 8 of 10 keys fail",
                   lambda: alerts(prometheus, "CircuitBreakerGroupKeysRejecting", "any", job=MOST))
    ratio = value(prometheus, f'job:circuit_breaker_group_keys_rejecting:ratio{{job="{FEW}"}}')
    run.check(not alerts(prometheus, "CircuitBreakerGroupKeysRejecting", "any", job=FEW) and (ratio or 0) < 0.5,
              f"no group alert where 2 of 20 keys fail (share of keys rejecting {ratio})")


if __name__ == "__main__":
    sys.exit(harness.main("keyed-e2e", __doc__, 240, scenario))
