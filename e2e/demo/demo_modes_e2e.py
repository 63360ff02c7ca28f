#!/usr/bin/env python3
"""The demo's two other ways of exporting, each scraped by a real Prometheus 2.42 on loopback.

1. TLS and basic auth from an exporter-toolkit web config (`--web-config`): a self-signed certificate made by
   openssl, a bcrypt scrape user made by htpasswd. Prometheus scrapes over HTTPS with the CA and the user's password;
   a plain-HTTP request, a request without credentials and one with a wrong password are refused.
2. The swift-metrics backend (`--metrics-backend swift-metrics`): MetricsMonitor into swift-prometheus's
   PrometheusMetricsFactory. The same /metrics shows the metric contract (docs/metric-contract.json) with the same
   label names, scraped by Prometheus.

Every process is stopped at the end, however the run ends.
"""

import base64
import json
import os
import ssl
import subprocess
import sys
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import harness  # noqa: E402

USER, PASSWORD = "prometheus", "scrape-secret"


def status_of(url, context=None, credentials=None):
    """The HTTP status of a GET, or None when the connection itself failed."""
    request = urllib.request.Request(url)
    if credentials:
        token = base64.b64encode(f"{credentials[0]}:{credentials[1]}".encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
    try:
        with urllib.request.urlopen(request, timeout=10, context=context) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except (urllib.error.URLError, OSError):
        return None


def contract_families():
    """(series name to look for, [label names]) of every family of the contract: a histogram by its `_count`."""
    with open(os.path.join(harness.ROOT, "docs", "metric-contract.json"), encoding="utf-8") as handle:
        # A breaker's and the registry's families: the demo runs no group of keyed breakers yet.
        families = [family for family in json.load(handle)["families"]
                    if {"breaker", "registry"} & set(family["exported_by"])]
    return [(family["name"] + ("_count" if family["type"] == "histogram" else ""),
             [label["name"] for label in family["labels"]]) for family in families]


def tls_and_basic_auth(run, demo):
    cert, key = os.path.join(run.work, "cert.pem"), os.path.join(run.work, "key.pem")
    made = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                           "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                           "-keyout", key, "-out", cert], capture_output=True)
    if not run.check(made.returncode == 0, "openssl made a self-signed certificate"):
        return
    hashed = subprocess.run(["htpasswd", "-nbB", USER, PASSWORD], capture_output=True, text=True)
    if not run.check(hashed.returncode == 0, "htpasswd made a bcrypt hash"):
        return
    bcrypt = hashed.stdout.strip().split(":", 1)[1]
    web_config = run.write_yaml("web.yml", {
        "tls_server_config": {"cert_file": cert, "key_file": key},
        "basic_auth_users": {USER: bcrypt},
    })
    demo_port, prom_port = harness.free_ports(2)
    run.start("demo-tls", [demo, "--bind", "127.0.0.1", "--port", str(demo_port), "--quiet", "--duration", "170",
                           "--web-config", web_config])
    url = f"https://localhost:{demo_port}/metrics"
    context = ssl.create_default_context(cafile=cert)
    run.wait_until(60, "the demo answers over HTTPS with the scrape user's password",
                   lambda: status_of(url, context, (USER, PASSWORD)) == 200)
    run.check(status_of(url, context) == 401, "no credentials: 401")
    run.check(status_of(url, context, (USER, "wrong")) == 401, "a wrong password: 401")
    run.check(status_of(f"http://localhost:{demo_port}/metrics") in (None, 400),
              "plain HTTP to the TLS port gets no metrics")

    config = run.write_yaml("prometheus-tls.yml", {
        "global": {"scrape_interval": "2s", "scrape_timeout": "2s"},
        "scrape_configs": [{
            "job_name": "breaker-demo-tls", "scheme": "https",
            "tls_config": {"ca_file": cert, "server_name": "localhost"},
            "basic_auth": {"username": USER, "password": PASSWORD},
            "static_configs": [{"targets": [f"localhost:{demo_port}"]}],
        }],
    })
    prometheus = run.start_prometheus(config, prom_port)
    run.wait_until(60, "Prometheus scrapes the demo over TLS with basic auth: up == 1",
                   lambda: value(prometheus, 'up{job="breaker-demo-tls"}') == 1)
    run.wait_until(30, "… and stores the breakers' series",
                   lambda: (value(prometheus, 'count(circuit_breaker_state{job="breaker-demo-tls"})') or 0) > 0)


def swift_metrics_backend(run, demo):
    demo_port, prom_port = harness.free_ports(2)
    run.start("demo-swift-metrics", [demo, "--bind", "127.0.0.1", "--port", str(demo_port), "--quiet",
                                     "--duration", "170", "--metrics-backend", "swift-metrics",
                                     "--outage-offset", "2", "--outage-duration", "60"])
    config = run.write_yaml("prometheus-swift-metrics.yml", {
        "global": {"scrape_interval": "2s", "scrape_timeout": "2s"},
        "scrape_configs": [{"job_name": "breaker-demo-swift-metrics",
                            "static_configs": [{"targets": [f"127.0.0.1:{demo_port}"]}]}],
    })
    data = os.path.join(run.work, "prometheus-swift-metrics-data")
    run.start("prometheus-swift-metrics", ["prometheus", f"--config.file={config}", f"--storage.tsdb.path={data}",
                                           f"--web.listen-address=127.0.0.1:{prom_port}"])
    prometheus = harness.dashboard_queries.Prometheus(f"http://127.0.0.1:{prom_port}", timeout=10)
    run.wait_until(60, "prometheus (swift-metrics backend) ready",
                   lambda: prometheus.get("/api/v1/status/buildinfo")[0])
    job = 'job="breaker-demo-swift-metrics"'
    run.wait_until(60, "Prometheus scrapes the swift-metrics backend: up == 1", lambda: value(prometheus, f"up{{{job}}}") == 1)
    # The payments outage starts 2 s in: wait until its trip shows, so the transition counters have moved too.
    run.wait_until(60, "the payments breaker's trip shows through swift-metrics", lambda: (value(
        prometheus, f'sum(circuit_breaker_transitions_total{{{job},breaker="payments",from="closed",to="open"}})') or 0) >= 1)
    for series, labels in contract_families():
        if series == "circuit_breaker_registrations_rejected_total":
            continue  # the cap belongs to PrometheusMonitor; MetricsMonitor has none
        data_, error, _ = prometheus.get("/api/v1/series", **{"match[]": f"{series}{{{job}}}"})
        found = not error and bool(data_)
        names = set().union(*(set(item) for item in data_)) if found else set()
        expected = set(labels) | {"__name__", "job", "instance"}
        run.check(found and expected <= names,
                  f"{series} is exported through swift-metrics with the contract's labels {labels}")


def value(prometheus, query):
    data, error, _ = prometheus.get("/api/v1/query", query=query)
    if error or not data or not data.get("result"):
        return None
    return float(data["result"][0]["value"][1])


def prove(run, demo):
    if not run.check(os.access(demo, os.X_OK) and harness.find_tool("prometheus") and harness.find_tool("openssl")
                     and harness.find_tool("htpasswd"), f"demo ({demo}), prometheus, openssl and htpasswd are installed"):
        return
    tls_and_basic_auth(run, demo)
    swift_metrics_backend(run, demo)


if __name__ == "__main__":
    sys.exit(harness.main("demo-modes", __doc__, 170, prove))
