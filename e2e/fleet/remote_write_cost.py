#!/usr/bin/env python3
"""What remote write costs at 1,000 breakers per instance, measured from the edge's own prometheus_remote_storage_*
metrics, and checked against the arithmetic of docs/operations.md ("Cardinality at scale").

Started on loopback: one breaker-demo with --extra-breakers 1000 (1,004 breakers: the four demo breakers, one of
them in shadow mode, and 1,000 idle ones), an edge Prometheus scraping it every 15 s (a production interval; no
rules, no self-scrape, so that everything it sends is the instance's) and remote-writing to a global Prometheus
(--web.enable-remote-write-receiver, no rules).

Measured: series per breaker in the exposition (every breaker of the same kind has the same number); series per
scrape of the instance, the 5 series Prometheus adds per target (up, scrape_*) included; samples sent per scrape
and per second, and bytes per sample on the wire, as the difference of the edge's
prometheus_remote_storage_samples_total and _bytes_total between two moments 4 scrapes apart, each once the scrape
before it had been read from the WAL and sent in full (samples_total caught up with samples_in_total).

Asserted: the series per breaker are those docs/operations.md counts on paper (PAPER below); the edge sends exactly
one sample per series per scrape (staleness markers excluded: none here); it failed, retried and dropped nothing; the
global tier holds as many series for the cluster as the edge scraped. Prints the measured figures and the projection
to 1,000 instances. About a minute and a half; every process is stopped. Needs a release build of the demo (a
debug build renders 97,000 series too slowly on busy cores).

Usage: e2e/python.sh e2e/fleet/remote_write_cost.py [--demo PATH] [--keep]
"""

import math
import os
import re
import sys
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import harness  # noqa: E402
import tiers  # noqa: E402

JOB = "breaker-demo"
EXTRA_BREAKERS = 1000
INTERVAL = 15  # seconds: the scrape interval the rules are tested at
SCRAPES = 4  # measured between two moments this many scrapes apart
TARGET_SERIES = 5  # up, scrape_duration_seconds, scrape_samples_scraped, scrape_samples_post_metric_relabeling,
#                    scrape_series_added: what Prometheus adds for every target at every scrape
# Series per breaker on paper (docs/operations.md): state 5, state_seconds 5, calls 5 outcomes (+1 shadow_rejected in
# shadow mode), the duration histogram 4 outcomes x (12 buckets + _sum + _count) = 56, transitions 15 (the legal
# pairs), fallbacks 2, overrides 3, and 1 each of slow_calls, state_change_timestamp, override_expiry, failure_ratio,
# slow_call_ratio and failure_ratio_threshold (the last three only with a window policy).
PAPER = {"idle-0": 97, "catalog": 97, "payments": 94, "search": 98}
PROJECTED_INSTANCES = 1000


def measure(run, demo):
    if not run.check(os.access(demo, os.X_OK) and harness.find_tool("prometheus"),
                     f"demo ({demo}) and prometheus are installed"):
        return
    demo_port, edge_port, global_port = harness.free_ports(3)
    global_tier = run.start_prometheus(run.write_yaml("global.yml", tiers.global_config("15s", rule_files=())),
                                       global_port, name="global", options=[tiers.REMOTE_WRITE_RECEIVER])
    edge_yaml = tiers.edge_config("a", f"{INTERVAL}s", {JOB: [f"127.0.0.1:{demo_port}"]}, global_port)
    edge = run.start_prometheus(run.write_yaml("edge.yml", edge_yaml), edge_port, name="edge")
    run.start("demo", [demo, "--bind", "127.0.0.1", "--port", str(demo_port), "--quiet", "--duration", "300",
                       "--extra-breakers", str(EXTRA_BREAKERS)])
    exposition = run.wait_until(30, "the demo exports its 1,004 breakers",
                                lambda: fetch(f"http://127.0.0.1:{demo_port}/metrics", 'breaker="idle-999"'))
    if not exposition:
        return
    per_breaker = {name: len(re.findall(rf'^circuit_breaker_\w+\{{breaker="{name}"', exposition, re.M))
                   for name in PAPER}
    run.check(per_breaker == PAPER, f"series per breaker as on paper: {per_breaker} (paper {PAPER})")

    scraped = f'scrape_samples_post_metric_relabeling{{job="{JOB}"}}'
    run.wait_until(2 * INTERVAL + 15, "the edge scraped the whole instance",
                   lambda: value(edge, scraped) and value(edge, scraped) > 1000 * PAPER["idle-0"])
    first = run.wait_until(2 * INTERVAL + 15, "a scrape sent in full", lambda: after_scrape(edge, edge_port))
    last = run.wait_until((SCRAPES + 2) * INTERVAL, f"the scrape {SCRAPES} later sent in full",
                          lambda: after_scrape(edge, edge_port, first))
    if not (first and last):
        return
    series = value(edge, scraped) + TARGET_SERIES
    samples = last["samples_total"] - first["samples_total"]
    seconds = last["scrape_time"] - first["scrape_time"]
    per_scrape = samples / round(seconds / INTERVAL)
    run.check(per_scrape == series, f"one sample per series per scrape: {per_scrape:.0f} sent, {series:.0f} series")
    for name in ("samples_failed_total", "samples_retried_total", "samples_dropped_total"):
        run.check(last[name] == 0, f"remote write {name} is 0 ({last[name]:.0f})")
    at_global = f'count({{cluster="a", job="{JOB}"}})'
    run.wait_until(30, "the global tier holds the instance's series once",
                   lambda: value(global_tier, at_global) == series)

    rate = samples / seconds
    wire = (last["bytes_total"] - first["bytes_total"]) / samples
    run.log(f"series per breaker {per_breaker['idle-0']}; series per instance {series:.0f} "
            f"({EXTRA_BREAKERS + 4} breakers)")
    run.log(f"remote write at a {INTERVAL} s scrape: {rate:.0f} samples/s per instance, "
            f"{wire:.2f} bytes per sample on the wire ({rate * wire / 1000:.0f} kB/s)")
    run.log(f"at {PROJECTED_INSTANCES} instances: {series * PROJECTED_INSTANCES / 1e6:.1f} M series, "
            f"{rate * PROJECTED_INSTANCES / 1e6:.2f} M samples/s, {rate * wire * PROJECTED_INSTANCES / 1e6:.0f} MB/s")


def fetch(url, must_contain):
    with urllib.request.urlopen(url, timeout=10) as response:
        text = response.read().decode()
    return text if must_contain in text else None


def value(prometheus, expr):
    result = harness.series(prometheus, expr)
    return float(result[0]["value"][1]) if result else None


def after_scrape(edge, edge_port, since=None):
    """The edge's remote-write counters once a scrape (at least SCRAPES after `since`, when given) has been read
    from the WAL and sent in full, so that two such readings differ by whole scrapes; None until then."""
    scrape_time = value(edge, f'timestamp(up{{job="{JOB}"}})')
    if scrape_time is None or (since and scrape_time < since["scrape_time"] + (SCRAPES - 0.5) * INTERVAL):
        return None
    counters = remote_storage(edge_port)
    sent = counters.get("queue_highest_sent_timestamp_seconds", 0)  # whole seconds
    caught_up = counters.get("samples_total") == counters.get("samples_in_total")
    if sent < math.floor(scrape_time) or counters.get("samples_pending") or not caught_up:
        return None
    return dict(counters, scrape_time=scrape_time)


def remote_storage(port):
    """{name: value, summed over remote-write queues} of the edge's own prometheus_remote_storage_* metrics, read
    from its /metrics (the edge does not scrape itself here)."""
    totals = {}
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        for line in response.read().decode().splitlines():
            match = re.match(r"prometheus_remote_storage_(\w+?)(?:\{[^}]*\})? (\S+)$", line)
            if match:
                totals[match.group(1)] = totals.get(match.group(1), 0.0) + float(match.group(2))
    return totals


if __name__ == "__main__":
    sys.exit(harness.main("remote-write-cost", __doc__, 240, measure))
