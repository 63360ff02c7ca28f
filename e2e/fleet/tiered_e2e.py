#!/usr/bin/env python3
"""End to end on two tiers: edge Prometheus servers in clusters a and b remote-write into a global Prometheus that
evaluates the kit's rules and pages through Alertmanager.

Started on loopback (topology in tiers.py and docs/operations.md, "A fleet of clusters"): four breaker-demo
instances, two per cluster; payments fails in cluster a from 5 s after the demos start until the end, cluster b is
healthy. An edge Prometheus per cluster (1 s scrape, external label cluster=a or b, no rules) scrapes its two demos
and itself and remote-writes everything to a global Prometheus (--web.enable-remote-write-receiver, 1 s evaluation)
that loads alerts/recording-rules.yml, alerting-rules.yml and global-rules.yml unmodified and notifies a real
Alertmanager (the route and inhibit rule of docs/operations.md), which posts to webhook_receiver.py. An operator
override forces catalog open on one demo of cluster a through the API.

Asserted:
- the global tier loads and evaluates every rule; the edges evaluate none and hold no recorded series;
- no double counting: at a fixed past time the global tier's sum of calls per cluster equals that edge's own sum, it
  holds as many breaker series per cluster as the edge, and one recorded series per instance and breaker;
- every dashboard query answers with data against the global tier, and the fleet row's queries are split by
  cluster (payments tripped on all of a's instances, on none of b's);
- killing edge b (SIGKILL) raises CircuitBreakerClusterNoData{cluster="b"} at the global tier between 100 s and
  150 s later (documented: 2 minutes after the last sample that arrived, plus one evaluation interval), and its
  notification reaches the webhook;
- the payments outage pages once: CircuitBreakerFleetRejecting{cluster="a", breaker="payments"} reaches the webhook,
  and no other critical alert does;
- nothing alerts for cluster b but the no-data alert, before or after its edge died (no page for its breakers), and
  nothing alerts for the shadow-mode breaker search, though it trips in both clusters;
- edge a's remote write failed and dropped no sample; the demos stop cleanly on SIGTERM.
About 3 minutes; every process is stopped.

Usage: e2e/python.sh e2e/fleet/tiered_e2e.py [--demo PATH] [--keep]
"""

import base64
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import harness  # noqa: E402
import tiers  # noqa: E402
from harness import dashboard_queries  # noqa: E402

JOB = "breaker-demo"
CLUSTERS = ("a", "b")
OUTAGE_OFFSET = 5  # seconds after a demo of cluster a starts
NO_DATA_BOUNDS = (100, 150)  # seconds from the kill: 2 minutes after the last sample arrived, plus slack
ADMIN = ("alice", "alice-secret")


def scenario(run, demo):
    alertmanager = harness.find_tool("prometheus-alertmanager", "alertmanager")
    tools = os.access(demo, os.X_OK) and alertmanager and harness.find_tool("prometheus") and harness.find_tool(
        "htpasswd")
    if not run.check(tools, f"demo ({demo}), prometheus, alertmanager and htpasswd are installed"):
        return
    ports = harness.free_ports(8)
    demo_ports = {"a": ports[0:2], "b": ports[2:4]}
    edge_ports, global_port, am_port = dict(zip(CLUSTERS, ports[4:6])), ports[6], ports[7]

    hook = run.start_webhook()
    if not hook:
        return
    hook_port, hook_log = hook
    run.start_alertmanager(am_port, hook_port, tiers.alertmanager_routes())
    global_tier = run.start_prometheus(run.write_yaml("global.yml", tiers.global_config("1s", am_port)),
                                       global_port, name="global", options=[tiers.REMOTE_WRITE_RECEIVER])
    edges = {}
    for cluster in CLUSTERS:
        targets = [f"127.0.0.1:{port}" for port in demo_ports[cluster]]
        config = tiers.edge_config(cluster, "1s", {JOB: targets}, global_port, self_port=edge_ports[cluster])
        edges[cluster] = run.start_prometheus(run.write_yaml(f"edge-{cluster}.yml", config), edge_ports[cluster],
                                              name=f"edge-{cluster}")
    demos = start_demos(run, demo, demo_ports)

    run.wait_until(30, "the global tier loaded and evaluates every rule of the kit without error",
                   lambda: run.rules_healthy(global_tier, tiers.GLOBAL_RULE_FILES))
    for cluster, edge in edges.items():
        run.check(edge.get("/api/v1/rules")[0] == {"groups": []}, f"edge {cluster} evaluates no rules")
    closed = 'count by (cluster) (circuit_breaker_state{state="closed"})'
    run.wait_until(60, "the global tier holds the 4 breakers of the 2 demos of each cluster, labelled by cluster",
                   lambda: by_cluster(global_tier, closed) == {"a": 8, "b": 8})
    run.check(harness.series(global_tier, 'circuit_breaker_state{cluster=""}') == [],
              "every breaker series reached the global tier with its cluster label")
    override = apply_override(demo_ports["a"][0])
    run.check(override == 200, f"an operator forces catalog open on a demo of cluster a (HTTP {override})")

    trips = 'count by (cluster) (circuit_breaker_transitions_total{breaker="payments", from="closed", to="open"} > 0)'
    run.wait_until(60, "payments trips on both demos of cluster a, on none of b",
                   lambda: by_cluster(global_tier, trips) == {"a": 2})
    run.wait_until(30, "the shadow-mode breaker search trips in both clusters",
                   lambda: by_cluster(global_tier, trips.replace("payments", "search")) == {"a": 2, "b": 2})
    time.sleep(5)  # a few more evaluations for the rate windows
    check_dashboard(run, global_tier)
    check_single_counting(run, global_tier, edges)

    os.kill(run.process("edge-b").pid, signal.SIGKILL)
    killed = time.monotonic()
    run.log("killed edge b (SIGKILL)")
    no_data = run.wait_until(NO_DATA_BOUNDS[1] + 10, "CircuitBreakerClusterNoData fires for cluster b (global tier)",
                             lambda: harness.alerts(global_tier, "CircuitBreakerClusterNoData", "firing",
                                                    cluster="b"))
    if no_data:
        elapsed = time.monotonic() - killed
        low, high = NO_DATA_BOUNDS
        run.check(low <= elapsed <= high, f"... {elapsed:.0f} s after the kill (documented bound {low}-{high} s)")
    run.wait_until(30, "the no-data notification for cluster b reached the webhook",
                   lambda: harness.notified(hook_log, "firing", "CircuitBreakerClusterNoData", cluster="b"))
    run.check(not harness.alerts(global_tier, "CircuitBreakerClusterNoData", "any", cluster="a"),
              "no no-data alert for cluster a, whose edge works")

    run.wait_until(150, "the page (CircuitBreakerFleetRejecting) for payments in cluster a reached the webhook",
                   lambda: harness.notified(hook_log, "firing", "CircuitBreakerFleetRejecting", cluster="a",
                                            breaker="payments", job=JOB))
    check_alerts(run, global_tier, hook_log)
    run.check(harness.alerts(global_tier, "CircuitBreakerClusterNoData", "firing", cluster="b"),
              "cluster b is not silent: its no-data alert still fires at the end")
    for name, value in remote_write_losses(edges["a"]).items():
        run.check(value == 0, f"edge a's remote write: {name} is {value}")
    for name, process in demos.items():
        status = run.stop(process)
        run.check(status == 0, f"{name} stopped cleanly on SIGTERM (exit status {status})")


def start_demos(run, demo, demo_ports):
    """Two demos per cluster, started after the Prometheus servers so that the edges scrape them from their first
    second; payments fails in cluster a only. The first demo of a has an admin user for the override."""
    hashed = subprocess.run(["htpasswd", "-nbB", *ADMIN], capture_output=True, text=True, check=True).stdout.strip()
    outage = {"a": ["--outage-offset", str(OUTAGE_OFFSET), "--outage-duration", "3600", "--outage-period", "7200"],
              "b": ["--outage-offset", "100000"]}
    demos = {}
    for cluster, ports in demo_ports.items():
        for index, port in enumerate(ports, start=1):
            argv = [demo, "--bind", "127.0.0.1", "--port", str(port), "--quiet", "--duration", "420"]
            argv += outage[cluster] + (["--admin-user", hashed] if (cluster, index) == ("a", 1) else [])
            demos[f"demo-{cluster}{index}"] = run.start(f"demo-{cluster}{index}", argv)
    return demos


def apply_override(port):
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/breakers/catalog/override", method="POST",
        data=json.dumps({"action": "force_open", "reason": "tiered e2e", "ttl": "10m"}).encode(),
        headers={"Content-Type": "application/json",
                 "Authorization": "Basic " + base64.b64encode(":".join(ADMIN).encode()).decode()})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except OSError as error:
        return getattr(error, "code", str(error))


def by_cluster(prometheus, query, **params):
    """{cluster: value} of an instant query."""
    return {s["metric"].get("cluster"): float(s["value"][1]) for s in harness.series(prometheus, query, **params)
            or []}


def check_single_counting(run, global_tier, edges):
    """The global tier holds each series once: what it has per cluster is what that edge scraped, at the same time,
    and the recording rules ran once per instance and breaker."""
    when = time.time() - 5  # a moment both tiers hold, once the remote write (5 s batch deadline) delivered it
    for cluster, edge in edges.items():
        # An edge stores its series without its external label, so cluster="" selects them there.
        for what, template in (("calls", 'sum(circuit_breaker_calls_total{{cluster="{}"}})'),
                               ("breaker series", 'count({{__name__=~"circuit_breaker_.+", cluster="{}"}})')):
            both = run.wait_until(20, f"cluster {cluster}: the same {what} at the global tier as at the edge (5 s ago)",
                                  lambda: same_at_both(edge, global_tier, template, cluster, when))
            run.log(f"    {what} of cluster {cluster} (edge, global tier): {both}")
        recorded = harness.series(edge, 'count({__name__=~"(instance|job|cluster):.+"})')
        run.check(recorded == [], f"edge {cluster} holds no recorded series (the global tier records them)")
    run.check(by_cluster(global_tier, "count by (cluster) (instance:circuit_breaker_state:code)") == {"a": 8, "b": 8},
              "one recorded state per instance and breaker at the global tier")
    run.check(by_cluster(global_tier, "job:circuit_breaker_exporting_targets:count") == {"a": 2, "b": 2},
              "each cluster's fleet counts its 2 targets, not 4")
    recorded = by_cluster(global_tier, 'count by (cluster) ({__name__=~"instance:.+"})')
    run.log(f"    recorded series per cluster at the global tier, for 8 instance x breaker pairs: {recorded}")


def same_at_both(edge, global_tier, template, cluster, when):
    """(value at the edge, value at the global tier) of the query `template` at `when` when they are equal and not
    0, else None."""
    at_edge = by_cluster(edge, template.format(""), time=when).get(None)
    at_global = by_cluster(global_tier, template.format(cluster), time=when).get(None)
    return (at_edge, at_global) if at_edge and at_edge == at_global else None


def check_dashboard(run, global_tier):
    dashboards = os.path.join(harness.ROOT, "dashboards", "check_dashboards.py")
    early = "the partners group's keys in an outage may not have rejected or been open for long enough yet"
    status = harness.run_command(run, [sys.executable, dashboards, "--prometheus-url", global_tier.url,
                                       "--require-data", "--var", f"job={JOB}"]
                                 + [f"--allow-empty={panel}={early}" for panel in (33, 35, 36)],
                                 "dashboards.log")
    run.check(status == 0, "every dashboard query answers with data against the global tier")
    with open(os.path.join(harness.ROOT, "dashboards", "circuit-breakers.json"), encoding="utf-8") as handle:
        dash = json.load(handle)
    fleet = fleet_row_panels(dash)
    queries = [q for q in dashboard_queries.collect(dash, {"job": JOB}) if q.panel and q.panel.get("id") in fleet]
    run.check(len(queries) >= 2, f"the dashboard's fleet row has queries ({len(queries)})")
    shares = {}
    for query in queries:
        data, error, _ = global_tier.run(query)
        result = (data or {}).get("result") or []
        clusters = {s["metric"].get("cluster") for s in result}
        run.check(error is None and result and None not in clusters,
                  f"{query.where}: every series carries its cluster ({sorted(map(str, clusters))})")
        if query.kind == "instant":
            shares.update({(s["metric"].get("cluster"), s["metric"].get("breaker")): float(s["value"][1])
                           for s in result})
    run.check(shares.get(("a", "payments")) == 1.0 and shares.get(("b", "payments")) == 0.0,
              f"fleet share of instances tripped: payments 1 in cluster a, 0 in cluster b ({shares})")


def fleet_row_panels(dash):
    """Ids of the panels under the row titled "Fleet"."""
    ids, inside = set(), False
    for panel in dash["panels"]:
        if panel.get("type") == "row":
            inside = panel.get("title") == "Fleet"
        elif inside:
            ids.add(panel.get("id"))
    return ids


def check_alerts(run, global_tier, hook_log):
    delivered = harness.notified_alerts(hook_log)
    pages = {json.dumps(a["labels"], sort_keys=True) for a in delivered if a["labels"].get("severity") == "critical"}
    run.check(len(pages) == 1 and all(json.loads(p).get("cluster") == "a" for p in pages),
              f"exactly one page was delivered, for cluster a: {sorted(pages)}")
    run.check(not [a for a in delivered if a["labels"].get("severity") == "critical" and a["status"] == "resolved"],
              "the page did not resolve and fire again")
    others_b = {a["labels"]["alertname"] for a in delivered if a["labels"].get("cluster") == "b"} - {
        "CircuitBreakerClusterNoData"}
    run.check(not others_b, f"nothing but the no-data alert was delivered for cluster b ({sorted(others_b)})")
    history = 'max_over_time(ALERTS{cluster="b", alertname!="CircuitBreakerClusterNoData"}[10m])'
    run.check(harness.series(global_tier, history) == [], "nothing for cluster b was even pending at the global tier")
    shadow = 'max_over_time(ALERTS{breaker="search"}[10m])'
    run.check(harness.series(global_tier, shadow) == [], "nothing alerted for the shadow-mode breaker search")


def remote_write_losses(edge):
    values = {}
    for name in ("samples_failed_total", "samples_dropped_total"):
        result = harness.series(edge, f"sum(prometheus_remote_storage_{name})")
        values[name] = float(result[0]["value"][1]) if result else None
    return values


if __name__ == "__main__":
    sys.exit(harness.main("tiered-e2e", __doc__, 330, scenario))
