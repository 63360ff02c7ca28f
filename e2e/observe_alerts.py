#!/usr/bin/env python3
"""Prints each alert of a Prometheus as it goes pending, fires and resolves, with the time since start, and whether
Alertmanager holds it. For `make observe` (e2e/observe.sh). Usage: observe_alerts.py PROMETHEUS_URL ALERTMANAGER_URL"""

import json
import sys
import time
import urllib.request


def get(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return json.load(response)
    except (OSError, ValueError):
        return None


def main():
    prometheus, alertmanager = sys.argv[1], sys.argv[2]
    started = time.monotonic()
    known = {}
    delivered = set()
    while True:
        answer = get(f"{prometheus}/api/v1/alerts")
        if answer is not None:
            now = {}
            for alert in answer["data"]["alerts"]:
                labels = alert["labels"]
                name = labels["alertname"] + "{" + ", ".join(
                    f"{k}={labels[k]}" for k in ("breaker", "key") if k in labels) + "}"
                now[name] = alert["state"]
            received = get(f"{alertmanager}/api/v2/alerts") or []
            in_alertmanager = {a["labels"]["alertname"] + "{" + ", ".join(
                f"{k}={a['labels'][k]}" for k in ("breaker", "key") if k in a["labels"]) + "}" for a in received}
            elapsed = int(time.monotonic() - started)
            stamp = f"[{elapsed // 60}:{elapsed % 60:02d}]"
            for name, state in sorted(now.items()):
                if known.get(name) != state:
                    print(f"  {stamp} {name} {state}", flush=True)
            for name in sorted(in_alertmanager - delivered):
                print(f"  {stamp} {name} reached Alertmanager", flush=True)
            delivered = in_alertmanager
            for name in sorted(set(known) - set(now)):
                print(f"  {stamp} {name} resolved", flush=True)
            known = now
        time.sleep(5)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
