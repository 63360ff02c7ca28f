#!/usr/bin/env python3
"""A flood of wrong passwords against the demo while health checks, scrapes and an admin are measured.

Usage: auth_flood.py URL ADMIN_USER ADMIN_PASSWORD [--clients 64] [--seconds 30] [--sources 127.0.0.2,...]
                     [--healthy-p99-ms 100] [--scrape-max-ms 1000]

CLIENTS threads send GET /admin with the admin's name and a new wrong password each time (so no cache helps),
on keep-alive connections bound to the SOURCES addresses in turn (an attacker's addresses; every one in
127.0.0.0/8 reaches the demo). Meanwhile, from 127.0.0.1: GET /-/healthy every 50 ms on a new connection (as a
probe does), GET /metrics every second, and the admin logs in (GET /admin with the right password, the first time
with credentials the server has never checked) and forces a breaker open and clears it.

Prints the figures (requests, answers by status, health p50/p99/max, scrape max, the admin's answers) and exits 1
if health p99 or the slowest scrape exceed their bounds, an admin request failed, or the demo stopped answering.
Bounded: it ends after SECONDS (+ a few seconds to stop its threads), whatever the server does.
"""
import argparse
import base64
import http.client
import json
import random
import statistics
import sys
import threading
import time
from urllib.parse import urlparse


def basic(user, password):
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def percentile(values, fraction):
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("url")
    parser.add_argument("user")
    parser.add_argument("password")
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--sources", default=",".join(f"127.0.0.{n}" for n in range(2, 10)))
    parser.add_argument("--healthy-p99-ms", type=float, default=100)
    parser.add_argument("--scrape-max-ms", type=float, default=1000)
    options = parser.parse_args()
    target = urlparse(options.url)
    host, port = target.hostname, target.port
    sources = options.sources.split(",")
    stop = threading.Event()
    lock = threading.Lock()
    statuses = {}
    errors = {"flood": 0}

    def flood(index):
        source = sources[index % len(sources)]
        connection = None
        while not stop.is_set():
            try:
                if connection is None:
                    connection = http.client.HTTPConnection(host, port, timeout=10, source_address=(source, 0))
                password = "wrong-%016x" % random.getrandbits(64)
                connection.request("GET", "/admin", headers={"Authorization": basic(options.user, password)})
                response = connection.getresponse()
                response.read()
                with lock:
                    statuses[response.status] = statuses.get(response.status, 0) + 1
                if response.getheader("Connection", "").lower() == "close":
                    connection.close()
                    connection = None
            except (OSError, http.client.HTTPException):
                with lock:
                    errors["flood"] += 1
                if connection is not None:
                    connection.close()
                connection = None
                time.sleep(0.01)
        if connection is not None:
            connection.close()

    def timed(path, headers=None, method="GET", body=None):
        started = time.monotonic()
        connection = http.client.HTTPConnection(host, port, timeout=10, source_address=("127.0.0.1", 0))
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            payload = response.read()
            return response.status, (time.monotonic() - started) * 1000, payload
        except (OSError, http.client.HTTPException) as error:
            return f"error: {error}", (time.monotonic() - started) * 1000, b""
        finally:
            connection.close()

    health, scrapes, admin = [], [], []

    def probe():
        while not stop.is_set():
            status, elapsed, _ = timed("/-/healthy")
            health.append((status, elapsed))
            time.sleep(0.05)

    def scrape():
        while not stop.is_set():
            status, elapsed, _ = timed("/metrics")
            scrapes.append((status, elapsed))
            time.sleep(1)

    def operator():
        authorization = basic(options.user, options.password)
        json_headers = {"Authorization": authorization, "Content-Type": "application/json"}
        time.sleep(min(2, options.seconds / 4))  # the flood is under way before the first login
        step = 0
        while not stop.is_set():
            step += 1
            status, elapsed, _ = timed("/admin", {"Authorization": authorization})
            admin.append(("GET /admin", status, elapsed))
            body = json.dumps({"action": "force_open", "reason": "flood drill", "ttl": "5m"})
            status, elapsed, _ = timed("/api/v1/breakers/catalog/override", json_headers, "POST", body)
            admin.append(("POST override", status, elapsed))
            status, elapsed, _ = timed("/api/v1/breakers/catalog/override", json_headers, "DELETE")
            admin.append(("DELETE override", status, elapsed))
            stop.wait(2)

    threads = [threading.Thread(target=flood, args=(i,), daemon=True) for i in range(options.clients)]
    threads += [threading.Thread(target=f, daemon=True) for f in (probe, scrape, operator)]
    for thread in threads:
        thread.start()
    stop.wait(options.seconds)
    stop.set()
    for thread in threads:
        thread.join(timeout=15)

    health_ms = [elapsed for status, elapsed in health if status == 200]
    scrape_ms = [elapsed for status, elapsed in scrapes if status == 200]
    bad_health = [status for status, _ in health if status != 200]
    bad_scrapes = [status for status, _ in scrapes if status != 200]
    admin_failures = [entry for entry in admin if entry[1] != 200]
    after, _, _ = timed("/-/healthy")
    print(f"flood: {options.clients} clients from {len(sources)} addresses for {options.seconds:g} s: "
          f"{sum(statuses.values())} answers {dict(sorted(statuses.items()))}, {errors['flood']} connection errors")
    print(f"health: {len(health)} probes, {len(bad_health)} failed; p50 {percentile(health_ms, 0.5):.1f} ms, "
          f"p99 {percentile(health_ms, 0.99):.1f} ms, max {max(health_ms, default=float('nan')):.1f} ms")
    print(f"scrape: {len(scrapes)} scrapes, {len(bad_scrapes)} failed; median "
          f"{statistics.median(scrape_ms) if scrape_ms else float('nan'):.1f} ms, "
          f"max {max(scrape_ms, default=float('nan')):.1f} ms")
    print("admin: " + "; ".join(f"{what} {status} in {elapsed:.0f} ms" for what, status, elapsed in admin[:6])
          + (f"; … {len(admin)} requests, {len(admin_failures)} failed" if len(admin) > 6 else ""))
    problems = []
    if bad_health or not health_ms or percentile(health_ms, 0.99) >= options.healthy_p99_ms:
        problems.append(f"health p99 not under {options.healthy_p99_ms:g} ms (or probes failed)")
    if bad_scrapes or not scrape_ms or max(scrape_ms) >= options.scrape_max_ms:
        problems.append(f"a scrape took {options.scrape_max_ms:g} ms or more (or failed)")
    if not admin or admin_failures:
        problems.append(f"admin requests failed: {admin_failures[:3]}")
    if 429 not in statuses:
        problems.append("no 429: the failure limit never answered")
    if after != 200:
        problems.append(f"the demo does not answer /-/healthy after the flood: {after}")
    for problem in problems:
        print("FAIL", problem)
    print("flood result:", "ok" if not problems else "FAILED")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
