"""What the end-to-end runs share: a work directory, loopback ports, processes that are always stopped, bounded
waits, the checks' tally, the configurations of the real Prometheus and Alertmanager they start, the webhook that
receives Alertmanager's notifications, and queries of their state.

Every process a run starts is stopped when the run ends, however it ends (SIGTERM, then SIGKILL after 10 s), and
its log is printed when a check failed.
"""

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "dashboards"))

import dashboard_queries  # noqa: E402


def free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def contract_series():
    """Every series name the metric contract (docs/metric-contract.json) says a breaker or the registry exports. The
    families of groups of keyed breakers (exported_by "group" or "key" only) are left out: the demo's partners group
    exports them, but per-key duration histograms are opt-in, and the dashboard checks cover the group's series."""
    with open(os.path.join(ROOT, "docs", "metric-contract.json"), encoding="utf-8") as handle:
        families = [family for family in json.load(handle)["families"]
                    if {"breaker", "registry"} & set(family["exported_by"])]
    names = []
    for family in families:
        if family["type"] == "histogram":
            names += [family["name"] + suffix for suffix in ("_bucket", "_sum", "_count")]
        else:
            names.append(family["name"])
    return names


SHIPPED_RULE_FILES = ("recording-rules.yml", "alerting-rules.yml")


def find_tool(*names):
    for name in names:
        path = shutil.which(name)
        if path:
            return path
    return None


class Run:
    """One end-to-end run: its work directory, processes and checks."""

    def __init__(self, name, deadline_seconds, keep=False):
        self.name = name
        self.started = time.monotonic()
        self.deadline = self.started + deadline_seconds
        self.work = tempfile.mkdtemp(prefix=f"{name}-")
        self.keep = keep
        self.processes = []  # (name, Popen, log path)
        self.passed = 0
        self.failures = []

    # --- reporting -------------------------------------------------------------------------------------------
    def log(self, message):
        print(f"[{self.name} {time.monotonic() - self.started:5.0f}s] {message}", flush=True)

    def check(self, ok, description):
        if ok:
            self.passed += 1
            self.log(f"PASS {description}")
        else:
            self.failures.append(description)
            self.log(f"FAIL {description}")
        return ok

    def wait_until(self, seconds, description, condition, interval=1.0):
        """Polls `condition` until it returns a true value, at most `seconds` (and never past the run's deadline).
        The bound only stops a hang: the check is on the event. Counts as one check; returns the value."""
        begun = time.monotonic()
        limit = min(begun + seconds, self.deadline)
        while True:
            try:
                value = condition()
            except Exception as error:  # a condition that raises (a refused connection) is not yet true
                value, last_error = None, error
            else:
                last_error = None
            if value:
                self.check(True, f"{description} (after {time.monotonic() - begun:.0f} s)")
                return value
            if time.monotonic() >= limit:
                detail = f"; last error: {last_error}" if last_error else ""
                self.check(False, f"{description} (gave up after {time.monotonic() - begun:.0f} s{detail})")
                return None
            time.sleep(interval)

    # --- processes -------------------------------------------------------------------------------------------
    def start(self, name, argv):
        path = os.path.join(self.work, f"{name}.log")
        handle = open(path, "wb")
        process = subprocess.Popen(argv, stdout=handle, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   start_new_session=True)
        handle.close()
        self.processes.append((name, process, path))
        self.log(f"started {name} (pid {process.pid})")
        return process

    def process(self, name):
        """The process started under `name`."""
        return next(process for started, process, _ in self.processes if started == name)

    def stop(self, process, grace=10.0):
        """SIGTERM, then SIGKILL after `grace` seconds; returns the exit status (negative: killed by a signal)."""
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        return process.returncode

    def finish(self):
        """Stops every process (last started first), prints logs on failure, prints the tally; returns the exit
        status."""
        for _, process, _ in reversed(self.processes):
            self.stop(process)
        if self.failures:
            for name, _, path in self.processes:
                print(f"----- {name}: {path} (last 60 lines) -----")
                with open(path, "rb") as handle:
                    print(b"".join(handle.readlines()[-60:]).decode(errors="replace"))
        elapsed = time.monotonic() - self.started
        for failure in self.failures:
            print(f"failed: {failure}")
        if self.failures or self.keep:
            print(f"logs and data kept in {self.work}")
        else:
            shutil.rmtree(self.work, ignore_errors=True)
        self.log(f"took {elapsed:.0f} s")
        print(f"{self.name}: {self.passed} passed, {len(self.failures)} failed")
        return 1 if self.failures else 0

    # --- configurations --------------------------------------------------------------------------------------
    def write_yaml(self, name, document):
        path = os.path.join(self.work, name)
        with open(path, "w", encoding="utf-8") as handle:
            yaml.safe_dump(document, handle, sort_keys=False)
        return path

    def prometheus_config(self, interval, jobs, alertmanager_port=None):
        """A Prometheus configuration with the shipped rules (alerts/*.yml, unmodified) and one scrape job per
        entry of `jobs` ({job name: [host:port, ...]})."""
        document = {
            "global": {"scrape_interval": interval, "scrape_timeout": interval, "evaluation_interval": interval},
            "rule_files": [os.path.join(ROOT, "alerts", name) for name in SHIPPED_RULE_FILES],
            "scrape_configs": [{"job_name": job, "static_configs": [{"targets": targets}]}
                               for job, targets in jobs.items()],
        }
        if alertmanager_port:
            document["alerting"] = {"alertmanagers": [
                {"static_configs": [{"targets": [f"127.0.0.1:{alertmanager_port}"]}]}]}
        return self.write_yaml("prometheus.yml", document)

    def start_prometheus(self, config, port, name="prometheus", options=()):
        data = os.path.join(self.work, f"{name}-data")
        self.start(name, ["prometheus", f"--config.file={config}", f"--storage.tsdb.path={data}",
                          f"--web.listen-address=127.0.0.1:{port}", "--storage.tsdb.retention.time=1d", *options])
        prometheus = dashboard_queries.Prometheus(f"http://127.0.0.1:{port}", timeout=10)
        self.wait_until(60, f"{name} ready", lambda: prometheus.get("/api/v1/status/buildinfo")[0])
        return prometheus

    def start_webhook(self):
        """Starts webhook_receiver.py on a free port; returns (port, path of its JSON Lines log), or None."""
        log = os.path.join(self.work, "notifications.jsonl")
        port_file = os.path.join(self.work, "webhook.port")
        self.start("webhook", [sys.executable, os.path.join(ROOT, "e2e", "webhook_receiver.py"), "--port", "0",
                               "--port-file", port_file, "--output", log])
        if not self.wait_until(20, "webhook receiver listening", lambda: os.path.getsize(port_file) > 0):
            return None
        with open(port_file, encoding="utf-8") as handle:
            return int(handle.read()), log

    def start_alertmanager(self, port, hook_port, routing):
        """Starts Alertmanager on `port`, notifying the webhook at once (1 s group wait, 2 s group interval) with
        resolved notifications; `routing` gives the route's group_by and, optionally, inhibit_rules."""
        config = self.write_yaml("alertmanager.yml", {
            "route": {"receiver": "webhook", "group_by": routing["group_by"], "group_wait": "1s",
                      "group_interval": "2s", "repeat_interval": "1h"},
            "receivers": [{"name": "webhook", "webhook_configs": [
                {"url": f"http://127.0.0.1:{hook_port}/alerts", "send_resolved": True}]}],
            "inhibit_rules": routing.get("inhibit_rules", [])})
        self.start("alertmanager", [find_tool("prometheus-alertmanager", "alertmanager"), f"--config.file={config}",
                                    f"--storage.path={os.path.join(self.work, 'alertmanager-data')}",
                                    f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address="])

    def rules_healthy(self, prometheus, files=SHIPPED_RULE_FILES):
        """True when every rule group of `files` (in alerts/) is loaded and every rule evaluated without error."""
        data, error, _ = prometheus.get("/api/v1/rules")
        if error:
            return False
        shipped = 0
        for name in files:
            with open(os.path.join(ROOT, "alerts", name), encoding="utf-8") as handle:
                shipped += sum(len(group["rules"]) for group in yaml.safe_load(handle)["groups"])
        rules = [rule for group in data["groups"] for rule in group["rules"]]
        return len(rules) == shipped and all(rule.get("health") == "ok" for rule in rules)


def series(prometheus, query, **params):
    """The result of an instant query (params: time=…), or None on an error."""
    data, error, _ = prometheus.get("/api/v1/query", query=query, **params)
    return None if error else data["result"]


def alerts(prometheus, name, state, **labels):
    """Alerts of the rule `name` in `state` (pending, firing, or any) whose labels include `labels`."""
    data, error, _ = prometheus.get("/api/v1/alerts")
    if error:
        return []
    return [a for a in data["alerts"] if a["labels"].get("alertname") == name and state in ("any", a["state"])
            and all(a["labels"].get(k) == v for k, v in labels.items())]


def notified_alerts(path):
    """Every alert of every notification the webhook recorded, in order."""
    with open(path, encoding="utf-8") as handle:
        return [alert for line in handle if line.strip() for alert in json.loads(line).get("alerts", [])]


def notified(path, status, name, **labels):
    """How many alerts with `status` and these labels reached the webhook."""
    return sum(1 for alert in notified_alerts(path) if alert.get("status") == status
               and alert["labels"].get("alertname") == name
               and all(alert["labels"].get(k) == v for k, v in labels.items()))


def run_command(run, argv, log_name):
    """Runs a checker to its end (at most 2 minutes) with its output in the work directory; prints its failures."""
    path = os.path.join(run.work, log_name)
    with open(path, "wb") as handle:
        status = subprocess.run(argv, stdout=handle, stderr=subprocess.STDOUT, timeout=120).returncode
    if status != 0:
        with open(path, encoding="utf-8", errors="replace") as handle:
            for line in handle:
                if line.startswith(("FAIL", "NOTE", "    query")):
                    print(f"    {line.rstrip()}")
    return status


def interrupted(run, signum):
    """timeout(1) ends a run that overran with SIGTERM: a failed run, left through `finally`, which stops every
    process it started."""
    run.check(False, f"the run went to its end (stopped by signal {signum})")
    sys.exit(128 + signum)


def main(name, doc, deadline_seconds, body):
    """The command line of an end-to-end run: --demo PATH (default $BREAKER_DEMO or .build/debug/breaker-demo) and
    --keep; runs body(run, demo path) and always finishes the run. Returns the exit status."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("--demo", default=os.environ.get("BREAKER_DEMO", ".build/debug/breaker-demo"))
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    args = parser.parse_args()
    run = Run(name, deadline_seconds=deadline_seconds, keep=args.keep)
    signal.signal(signal.SIGTERM, lambda signum, frame: interrupted(run, signum))
    try:
        body(run, os.path.abspath(args.demo))
    except Exception:  # a bug or an unexpected answer: a failed run, with its traceback, and every process stopped
        traceback.print_exc()
        run.check(False, "the run went to its end without an exception")
    finally:
        status = run.finish()
    return status
