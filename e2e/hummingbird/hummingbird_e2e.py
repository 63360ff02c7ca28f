#!/usr/bin/env python3
"""Proof that the breakers embed in a Hummingbird service: one port for everything, scraped by a real Prometheus.

The service (e2e/hummingbird/Service, built with the HummingbirdSupport trait) has its own routes (`/hello`,
`/orders/{id}` calling its dependency through the `inventory` breaker), the operations routes and /metrics mounted
on its own router, and a swift-metrics counter (`orders_served_total`) going through PrometheusMetricsFactory to the
same registry as the breakers' series. A web config gives it a scrape user and an admin user (bcrypt by htpasswd).

1. A real Prometheus on loopback scrapes the service's port with the scrape user: up == 1, the breaker's series and
   the service's own swift-metrics counter are stored; an anonymous scrape is refused.
2. The service's own routes work on the same port; failing calls trip the breaker (the service answers 503 after).
3. An admin override through the service's own port: 401 without credentials, 403 for the scrape user, 200 for the
   admin; the status API shows it, the event stream announces it, and Prometheus sees the breaker forced open and
   the override counted.

Every process is stopped at the end, however the run ends.
"""

import base64
import json
import os
import subprocess
import sys
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import harness  # noqa: E402

SCRAPER, SCRAPE_PASSWORD = "prometheus", "scrape-secret"
ADMIN, ADMIN_PASSWORD = "alice", "admin-secret"


def request(url, method="GET", credentials=None, body=None, headers=None):
    """(status, body text) of a request; status None when the connection itself failed."""
    data = body.encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    for name, value in (headers or {}).items():
        req.add_header(name, value)
    if credentials:
        token = base64.b64encode(f"{credentials[0]}:{credentials[1]}".encode()).decode()
        req.add_header("Authorization", f"Basic {token}")
    try:
        with urllib.request.urlopen(req, timeout=10) as response:
            return response.status, response.read().decode(errors="replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")
    except (urllib.error.URLError, OSError):
        return None, ""


def value(prometheus, query):
    data, error, _ = prometheus.get("/api/v1/query", query=query)
    if error or not data or not data.get("result"):
        return None
    return float(data["result"][0]["value"][1])


def bcrypt(user, password):
    made = subprocess.run(["htpasswd", "-nbB", "-C", "5", user, password], capture_output=True, text=True)
    return made.stdout.strip().split(":", 1)[1] if made.returncode == 0 else None


def prove(run, service):
    if not run.check(os.access(service, os.X_OK) and harness.find_tool("prometheus") and harness.find_tool("htpasswd"),
                     f"service ({service}), prometheus and htpasswd are installed"):
        return
    scrape_hash, admin_hash = bcrypt(SCRAPER, SCRAPE_PASSWORD), bcrypt(ADMIN, ADMIN_PASSWORD)
    if not run.check(scrape_hash and admin_hash, "htpasswd made the bcrypt hashes"):
        return
    web_config = run.write_yaml("web.yml", {"basic_auth_users": {SCRAPER: scrape_hash},
                                            "admin_users": {ADMIN: admin_hash}})
    service_port, prom_port = harness.free_ports(2)
    base = f"http://127.0.0.1:{service_port}"
    run.start("service", [service, "--port", str(service_port), "--web-config", web_config, "--duration", "170"])
    run.wait_until(60, "the service answers its own route", lambda: request(base + "/hello")[0] == 200)
    run.check(request(base + "/hello")[1] == "hello from the service\n", "/hello is the service's own answer")
    run.check(request(base + "/metrics")[0] == 401, "/metrics without credentials: 401")
    status, text = request(base + "/metrics", credentials=(SCRAPER, SCRAPE_PASSWORD))
    run.check(status == 200 and 'circuit_breaker_state{breaker="inventory",state="closed"} 1' in text,
              "/metrics with the scrape user shows the breaker")

    # 1. A real Prometheus scrapes the service's one port.
    config = run.write_yaml("prometheus.yml", {
        "global": {"scrape_interval": "1s", "scrape_timeout": "1s"},
        "scrape_configs": [{"job_name": "hummingbird-service",
                            "basic_auth": {"username": SCRAPER, "password": SCRAPE_PASSWORD},
                            "static_configs": [{"targets": [f"127.0.0.1:{service_port}"]}]}],
    })
    prometheus = run.start_prometheus(config, prom_port)
    job = 'job="hummingbird-service"'
    run.wait_until(60, "Prometheus scrapes the service: up == 1", lambda: value(prometheus, f"up{{{job}}}") == 1)
    # 2. The service's own route, counted through swift-metrics into the same registry.
    for index in range(3):
        run.check(request(f"{base}/orders/{index}")[0] == 200, f"order {index} is served")
    run.wait_until(30, "Prometheus stores the service's swift-metrics counter from the same registry: 3 orders",
                   lambda: value(prometheus, f"orders_served_total{{{job}}}") == 3)
    for index in range(3):
        run.check(request(f"{base}/orders/x{index}?fail=1")[0] == 502, f"failing call {index}: the dependency fails")
    run.check(request(f"{base}/orders/after-trip")[0] == 503, "the breaker is open: the service answers 503")
    run.wait_until(30, "Prometheus sees the breaker open",
                   lambda: value(prometheus, f'circuit_breaker_state{{{job},breaker="inventory",state="open"}}') == 1)

    # 3. An admin override through the service's own port.
    # From the first event on (Last-Event-ID 0: a gap notice, then the replay), so no event can slip past.
    events = subprocess.Popen(["curl", "-s", "-N", "--max-time", "30", "-u", f"{SCRAPER}:{SCRAPE_PASSWORD}",
                               "-H", "Last-Event-ID: 0", f"{base}/api/v1/events"],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    url = f"{base}/api/v1/breakers/inventory/override"
    body = json.dumps({"action": "force_open", "reason": "e2e: provider incident", "ttl": "10m"})
    json_type = {"Content-Type": "application/json"}
    run.check(request(url, "POST", None, body, json_type)[0] == 401, "override without credentials: 401")
    run.check(request(url, "POST", (SCRAPER, SCRAPE_PASSWORD), body, json_type)[0] == 403,
              "override by the scrape user: 403")
    run.check(request(url, "POST", (ADMIN, ADMIN_PASSWORD), body, {"Content-Type": "text/plain"})[0] == 415,
              "override without application/json: 415")
    status, text = request(url, "POST", (ADMIN, ADMIN_PASSWORD), body, json_type)
    run.check(status == 200 and '"forced_open"' in text, "override by the admin: 200, forced open")
    status, text = request(f"{base}/api/v1/breakers/inventory", credentials=(SCRAPER, SCRAPE_PASSWORD))
    run.check(status == 200 and json.loads(text).get("override", {}).get("actor") == ADMIN,
              "the status API shows the admin's override")
    run.wait_until(30, "Prometheus sees the breaker forced open",
                   lambda: value(prometheus, f'circuit_breaker_state{{{job},breaker="inventory",state="forced_open"}}') == 1)
    run.wait_until(30, "Prometheus counts the override",
                   lambda: value(prometheus, f'circuit_breaker_overrides_total{{{job},breaker="inventory",action="force_open"}}') == 1)
    events.terminate()
    streamed = events.communicate(timeout=15)[0].decode(errors="replace")
    run.check("retry: 2000" in streamed and "event: override_applied" in streamed,
              "the event stream on the service's port announced the override")
    if "event: override_applied" not in streamed:
        run.log(f"streamed: {streamed[-2000:]!r}")


if __name__ == "__main__":
    sys.exit(harness.main("hummingbird", __doc__, 170, prove))
