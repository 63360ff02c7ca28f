#!/usr/bin/env python3
"""End-to-end proof of the three exposition formats, with real Prometheus 2.42 servers on loopback.

One breaker-demo (native histograms, the calibration breaker with known durations, traced calls whose trace ids
start with a prefix chosen here) is scraped by two Prometheus servers:

- "native": --enable-feature=native-histograms,exemplar-storage, so it asks for protobuf first;
- "openmetrics": --enable-feature=exemplar-storage only, so it asks for OpenMetrics first.

Asserted:
 (a) on "native", the calibration breaker's duration series is a native histogram, and
     histogram_quantile(0.99, rate(...[1m])) over it lies in the schema-2 bucket of the injected p99 (320 ms:
     (2^-1.75, 2^-1.5] s); the exporter's own metrics arrive over protobuf too;
 (b) /api/v1/query_exemplars returns exemplars whose trace_id is one of the demo's (the prefix given to it), on both
     servers;
 (c) "openmetrics" scrapes healthily: up == 1, no scrape error, the contract's series present (the native histogram
     as its _count); and the demo's OpenMetrics body, asked for with Prometheus's Accept header, passes
     prometheus_client's OpenMetrics parser.

Every process is stopped at the end (e2e/harness.py). Bounded: 170 s in all.
Usage: e2e/python.sh e2e/formats/formats_e2e.py [--demo PATH] [--keep]   (or e2e/formats/run.sh)
"""

import os
import secrets
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import harness  # noqa: E402
from dashboard_queries import Prometheus  # noqa: E402  (harness puts dashboards/ on the path)
from prometheus_client.openmetrics.parser import text_string_to_metric_families  # noqa: E402

OPENMETRICS_ACCEPT = (
    "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,"
    "text/plain;version=0.0.4;q=0.5,*/*;q=0.1"
)
# The calibration breaker's p99 is 320 ms; its schema-2 bucket is (2^-1.75, 2^-1.5] seconds.
P99_BUCKET = (2 ** -1.75, 2 ** -1.5)
CALIBRATION = 'breaker="calibration",outcome="success"'


def fetch(url, accept=None):
    request = urllib.request.Request(url, headers={"Accept": accept} if accept else {})
    with urllib.request.urlopen(request, timeout=5) as response:
        return response.headers.get("Content-Type", ""), response.read()


def start_prometheus(run, name, demo_port, features):
    port = harness.free_ports(1)[0]
    config = run.write_yaml(f"{name}.yml", {
        "global": {"scrape_interval": "1s", "scrape_timeout": "1s"},
        "scrape_configs": [{"job_name": "breaker-demo", "static_configs": [{"targets": [f"127.0.0.1:{demo_port}"]}]}],
    })
    run.start(f"prometheus-{name}", [
        "prometheus", f"--config.file={config}", f"--storage.tsdb.path={os.path.join(run.work, name + '-data')}",
        f"--web.listen-address=127.0.0.1:{port}", f"--enable-feature={features}",
    ])
    return Prometheus(f"http://127.0.0.1:{port}", timeout=5)


def query(prometheus, expression):
    data, error, _ = prometheus.get("/api/v1/query", query=expression)
    return data["result"] if data and not error else []


def healthy(prometheus):
    data, error, _ = prometheus.get("/api/v1/targets")
    targets = data["activeTargets"] if data and not error else []
    return bool(targets) and targets[0]["health"] == "up" and not targets[0]["lastError"]


def demo_exemplars(prometheus, expression, prefix):
    now = time.time()
    data, error, _ = prometheus.get("/api/v1/query_exemplars", query=expression, start=now - 300, end=now + 5)
    ids = [exemplar["labels"].get("trace_id", "") for series in (data or []) for exemplar in series["exemplars"]]
    return any(i.startswith(prefix) and len(i) == 32 for i in ids)


def body(run, demo):
    prefix = secrets.token_hex(8)
    demo_port = harness.free_ports(1)[0]
    demo_url = f"http://127.0.0.1:{demo_port}"
    run.start("breaker-demo", [
        demo, "--port", str(demo_port), "--quiet", "--native-histograms", "--calibration", "--rate", "20",
        "--trace-id-prefix", prefix, "--outage-offset", "1000000",
    ])
    run.wait_until(20, "the demo serves /metrics", lambda: fetch(f"{demo_url}/metrics")[1])
    native = start_prometheus(run, "native", demo_port, "native-histograms,exemplar-storage")
    openmetrics = start_prometheus(run, "openmetrics", demo_port, "exemplar-storage")

    # (c) the demo's OpenMetrics body, asked for as Prometheus asks, passes the OpenMetrics parser.
    content_type, exposition = fetch(f"{demo_url}/metrics", accept=OPENMETRICS_ACCEPT)
    families = sum(1 for _ in text_string_to_metric_families(exposition.decode("utf-8")))  # raises if invalid
    run.check(content_type.startswith("application/openmetrics-text") and families > 0,
              f"Prometheus's Accept header gets OpenMetrics ({content_type}) that prometheus_client parses "
              f"({families} families)")

    for name, prometheus in [("native", native), ("openmetrics", openmetrics)]:
        run.wait_until(30, f"Prometheus {name} scrapes the demo: up, no scrape error", lambda p=prometheus: healthy(p))

    # (c) the OpenMetrics instance: up, the contract's series, the native histogram as its _count.
    run.wait_until(20, "OpenMetrics instance: up == 1, calls and state series present", lambda: (
        [s["value"][1] for s in query(openmetrics, 'up{job="breaker-demo"}')] == ["1"]
        and query(openmetrics, 'circuit_breaker_calls_total{breaker="catalog",outcome="success"}')
        and [s["value"][1] for s in query(openmetrics, 'circuit_breaker_state{breaker="catalog",state="closed"}')]
        == ["1"]))
    count = f"circuit_breaker_call_duration_seconds_count{{{CALIBRATION}}}"
    run.wait_until(20, "OpenMetrics instance: the native histogram shows as its _count", lambda: (
        [float(s["value"][1]) for s in query(openmetrics, count)] > [0.0]))

    # (a) the native histogram, its p99, and the exporter's own metrics over protobuf.
    run.wait_until(30, "native instance: the duration series is a native histogram", lambda: (
        [("histogram" in s) for s in query(native, f"circuit_breaker_call_duration_seconds{{{CALIBRATION}}}")]
        == [True]))
    low, high = P99_BUCKET
    expression = f"histogram_quantile(0.99, rate(circuit_breaker_call_duration_seconds{{{CALIBRATION}}}[1m]))"
    # Needs a few 320 ms calls (one in 50, at 20 calls/s) in the window.
    p99 = run.wait_until(60, f"native instance: histogram_quantile(0.99) lies in ({low:.4f}, {high:.4f}] s, the "
                             f"bucket of the injected 320 ms", lambda: next(
                                 (float(s["value"][1]) for s in query(native, expression)
                                  if low <= float(s["value"][1]) <= high), None))
    if p99:
        run.log(f"p99 = {p99:.4f} s")
    run.wait_until(20, "native instance: the exporter's own metrics arrive over protobuf", lambda: (
        query(native, "metrics_exporter_build_info")
        and query(native, 'metrics_exporter_http_requests_total{path="/metrics",code="200"}')))

    # (b) exemplars with the demo's trace ids, on both servers.
    run.wait_until(30, "OpenMetrics instance: query_exemplars returns the demo's trace ids", lambda: demo_exemplars(
        openmetrics, "circuit_breaker_call_duration_seconds_bucket", prefix))
    run.wait_until(30, "native instance: query_exemplars returns the demo's trace ids", lambda: demo_exemplars(
        native, "circuit_breaker_call_duration_seconds", prefix))


if __name__ == "__main__":
    sys.exit(harness.main("formats", __doc__, 170, body))
