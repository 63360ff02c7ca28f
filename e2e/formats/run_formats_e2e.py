#!/usr/bin/env python3
"""End-to-end proof of the three exposition formats, with real Prometheus 2.42 servers on loopback.

One breaker-demo (native histograms, the calibration breaker with known durations, traced calls whose trace ids
start with a prefix chosen here) is scraped by two Prometheus servers:

- "native": --enable-feature=native-histograms,exemplar-storage, so it asks for protobuf first;
- "openmetrics": --enable-feature=exemplar-storage only, so it asks for OpenMetrics first.

Asserted:
 (a) on "native", the duration series of the calibration breaker is a native histogram, and
     histogram_quantile(0.99, rate(...[1m])) over it lies in the schema-2 bucket of the injected p99 (320 ms:
     (2^-1.75, 2^-1.5] s);
 (b) /api/v1/query_exemplars returns exemplars whose trace_id is one of the demo's (the prefix given to it), on both
     servers;
 (c) "openmetrics" scrapes healthily: up == 1, no scrape error, the contract's series present (the native
     histogram as its _count); the demo's OpenMetrics body (asked for with Prometheus's Accept header) passes
     prometheus_client's OpenMetrics parser; and "native" gets the exporter's own metrics over protobuf too.

Every process is stopped at the end. Bounded: E2E_FORMATS_TIMEOUT seconds in all (default 170).
Usage: run_formats_e2e.py [--demo PATH]   (BREAKER_DEMO also names the demo; default .build/debug/breaker-demo)
Prints one PASS/FAIL line per check and "N passed, M failed"; exits 1 on any failure.
"""

import argparse
import json
import math
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

from prometheus_client.openmetrics.parser import text_string_to_metric_families

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OPENMETRICS_ACCEPT = (
    "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,"
    "text/plain;version=0.0.4;q=0.5,*/*;q=0.1"
)
# The calibration breaker's p99 is 320 ms; its schema-2 bucket is (2^-1.75, 2^-1.5] seconds.
P99_BUCKET = (2 ** -1.75, 2 ** -1.5)


class Harness:
    def __init__(self, deadline):
        self.deadline = deadline
        self.passed = 0
        self.failed = 0
        self.processes = []
        self.work = tempfile.mkdtemp(prefix="breaker-formats-e2e.")
        self.started = time.monotonic()

    def log(self, message):
        print(f"[formats-e2e {time.monotonic() - self.started:5.1f}s] {message}", flush=True)

    def check(self, description, ok, detail=""):
        if ok:
            self.passed += 1
            self.log(f"PASS {description}")
        else:
            self.failed += 1
            self.log(f"FAIL {description}{': ' + detail if detail else ''}")
        return ok

    def remaining(self):
        return self.deadline - time.monotonic()

    def start(self, name, arguments):
        log = open(os.path.join(self.work, f"{name}.log"), "wb")
        process = subprocess.Popen(arguments, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        self.processes.append((name, process, log))
        self.log(f"started {name} (pid {process.pid})")
        return process

    def stop_all(self):
        for name, process, log in reversed(self.processes):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=10)
            log.close()
            self.log(f"stopped {name} (exit {process.returncode})")

    def dump_logs(self):
        for name, _, _ in self.processes:
            path = os.path.join(self.work, f"{name}.log")
            print(f"----- {name}: {path} (last 60 lines) -----")
            with open(path, "rb") as handle:
                print(b"\n".join(handle.read().splitlines()[-60:]).decode("utf-8", "replace"))

    def wait_until(self, description, limit, probe):
        """Polls `probe` (returns (ok, detail)) every second for at most `limit` seconds; one check."""
        until = min(time.monotonic() + limit, self.deadline - 15)
        detail = ""
        while True:
            try:
                ok, detail = probe()
            except Exception as error:  # a server not up yet, a malformed answer: try again
                ok, detail = False, repr(error)
            if ok:
                return self.check(description, True)
            if time.monotonic() >= until:
                return self.check(description, False, f"gave up: {detail}")
            time.sleep(1)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def http_get(url, accept=None, timeout=5):
    request = urllib.request.Request(url, headers={"Accept": accept} if accept else {})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return response.headers.get("Content-Type", ""), response.read()


def api(prometheus, path, **parameters):
    _, body = http_get(f"{prometheus}{path}?{urllib.parse.urlencode(parameters)}")
    answer = json.loads(body)
    if answer.get("status") != "success":
        raise RuntimeError(f"{path}: {answer}")
    return answer["data"]


def write_config(harness, name, demo_port):
    path = os.path.join(harness.work, f"{name}.yml")
    with open(path, "w") as handle:
        handle.write(
            "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
            "scrape_configs:\n  - job_name: breaker-demo\n"
            f"    static_configs:\n      - targets: ['127.0.0.1:{demo_port}']\n"
        )
    return path


def start_prometheus(harness, name, demo_port, features):
    port = free_port()
    harness.start(
        f"prometheus-{name}",
        [
            "prometheus",
            f"--config.file={write_config(harness, name, demo_port)}",
            f"--storage.tsdb.path={os.path.join(harness.work, name + '-data')}",
            f"--web.listen-address=127.0.0.1:{port}",
            f"--enable-feature={features}",
        ],
    )
    return f"http://127.0.0.1:{port}"


def target_healthy(prometheus):
    targets = api(prometheus, "/api/v1/targets")["activeTargets"]
    if not targets:
        return False, "no target yet"
    target = targets[0]
    return target["health"] == "up" and not target["lastError"], f"{target['health']} {target['lastError']!r}"


def query(prometheus, expression):
    return api(prometheus, "/api/v1/query", query=expression)["result"]


def demo_exemplars(prometheus, expression, prefix):
    now = time.time()
    data = api(prometheus, "/api/v1/query_exemplars", query=expression, start=now - 300, end=now + 5)
    ids = [e["labels"].get("trace_id", "") for series in data for e in series["exemplars"]]
    ours = [i for i in ids if i.startswith(prefix) and len(i) == 32]
    return bool(ours), f"{len(ids)} exemplars, {len(ours)} with the demo's prefix {prefix}: {ids[:3]}"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--demo", default=os.environ.get("BREAKER_DEMO", os.path.join(ROOT, ".build/debug/breaker-demo")))
    arguments = parser.parse_args()
    limit = float(os.environ.get("E2E_FORMATS_TIMEOUT", "170"))
    harness = Harness(time.monotonic() + limit)
    for tool in ["prometheus", arguments.demo]:
        if shutil.which(tool) is None:
            print(f"required program {tool} not found (make test installs prometheus and builds the demo)")
            print("0 passed, 1 failed")
            return 1

    prefix = secrets.token_hex(8)
    demo_port = free_port()
    demo_url = f"http://127.0.0.1:{demo_port}"
    try:
        harness.start(
            "breaker-demo",
            [
                arguments.demo, "--port", str(demo_port), "--quiet", "--native-histograms", "--calibration",
                "--rate", "20", "--trace-id-prefix", prefix, "--outage-offset", "1000000",
            ],
        )
        harness.wait_until("the demo serves /metrics", 20, lambda: (http_get(f"{demo_url}/metrics")[1] != b"", ""))
        native = start_prometheus(harness, "native", demo_port, "native-histograms,exemplar-storage")
        openmetrics = start_prometheus(harness, "openmetrics", demo_port, "exemplar-storage")

        # (c) the demo's OpenMetrics body, asked for as Prometheus asks, passes the OpenMetrics parser.
        content_type, body = http_get(f"{demo_url}/metrics", accept=OPENMETRICS_ACCEPT)
        families, problem = 0, ""
        try:
            families = sum(1 for _ in text_string_to_metric_families(body.decode("utf-8")))
        except Exception as error:
            problem = repr(error)
        harness.check(
            "the demo answers Prometheus's Accept header with OpenMetrics that prometheus_client parses",
            content_type.startswith("application/openmetrics-text") and families > 0 and not problem,
            f"Content-Type {content_type!r}, {families} families, {problem}",
        )

        for name, url in [("native", native), ("openmetrics", openmetrics)]:
            harness.wait_until(f"Prometheus {name} scrapes the demo: up, no scrape error", 30, lambda u=url: target_healthy(u))

        # (c) series of the contract in the OpenMetrics instance.
        def openmetrics_series():
            up = query(openmetrics, 'up{job="breaker-demo"}')
            calls = query(openmetrics, 'circuit_breaker_calls_total{breaker="catalog",outcome="success"}')
            state = query(openmetrics, 'circuit_breaker_state{breaker="catalog",state="closed"}')
            ok = up and up[0]["value"][1] == "1" and calls and state and state[0]["value"][1] == "1"
            return bool(ok), f"up={up} calls={calls} state={state}"

        harness.wait_until("OpenMetrics instance: up == 1 and the contract's series present", 20, openmetrics_series)

        def classic_in_openmetrics():
            result = query(openmetrics, 'circuit_breaker_call_duration_seconds_count{breaker="calibration",outcome="success"}')
            return bool(result) and float(result[0]["value"][1]) > 0, f"{result}"

        harness.wait_until(
            "OpenMetrics instance: the native histogram shows as _count (text formats cannot carry it)",
            20,
            classic_in_openmetrics,
        )

        def exporter_metrics_in_protobuf():
            result = query(native, "metrics_exporter_build_info")
            requests = query(native, 'metrics_exporter_http_requests_total{path="/metrics",code="200"}')
            return bool(result) and bool(requests), f"build_info={result} requests={requests}"

        harness.wait_until(
            "native instance: the exporter's own metrics arrive over protobuf", 20, exporter_metrics_in_protobuf
        )

        # (a) the native histogram and its p99.
        def native_histogram():
            result = query(native, 'circuit_breaker_call_duration_seconds{breaker="calibration",outcome="success"}')
            return bool(result) and "histogram" in result[0], f"{result}"

        harness.wait_until("native instance: the duration series is a native histogram", 30, native_histogram)

        quantile = 'histogram_quantile(0.99, rate(circuit_breaker_call_duration_seconds{breaker="calibration",outcome="success"}[1m]))'
        low, high = P99_BUCKET

        def p99():
            result = query(native, quantile)
            value = float(result[0]["value"][1]) if result else math.nan
            return low <= value <= high, f"p99 = {value} s, expected in ({low:.4f}, {high:.4f}] (320 ms injected)"

        # Needs a few calls of 320 ms (one in 50, at 20 calls/s) within the window.
        harness.wait_until("native instance: histogram_quantile(0.99) is the injected 320 ms, within its bucket", 60, p99)

        # (b) exemplars with the demo's trace ids.
        harness.wait_until(
            "OpenMetrics instance: query_exemplars returns the demo's trace ids",
            30,
            lambda: demo_exemplars(openmetrics, "circuit_breaker_call_duration_seconds_bucket", prefix),
        )
        harness.wait_until(
            "native instance: query_exemplars returns the demo's trace ids",
            30,
            lambda: demo_exemplars(native, "circuit_breaker_call_duration_seconds", prefix),
        )
    finally:
        harness.stop_all()
        if harness.failed or os.environ.get("E2E_VERBOSE") == "1":
            harness.dump_logs()
        if harness.failed == 0 and os.environ.get("E2E_KEEP") != "1":
            shutil.rmtree(harness.work, ignore_errors=True)
    print(f"{harness.passed} passed, {harness.failed} failed")
    return 0 if harness.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
