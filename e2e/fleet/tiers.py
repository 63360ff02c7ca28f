"""The tiered topology of the fleet runs, as docs/operations.md ("A fleet of clusters") describes it: edge Prometheus
servers that scrape the services, label what they send with their cluster (`external_labels`) and remote-write it
to a global Prometheus, which evaluates every rule of the kit and notifies Alertmanager.

Edges evaluate no rules, and their remote write drops recorded series and ALERTS anyway: the global tier computes
them from the raw series, so no edge copy can double-count. The configurations are built here once, for
tiered_e2e.py and remote_write_cost.py.
"""

import os

import harness

# Every rule file of the kit: the global tier loads all three, edges none.
GLOBAL_RULE_FILES = ("recording-rules.yml", "alerting-rules.yml", "global-rules.yml")
# What an edge never forwards: recorded series and alert states are the global tier's to compute.
EDGE_DROPS = "(instance|job|cluster):.+|ALERTS|ALERTS_FOR_STATE"
REMOTE_WRITE_RECEIVER = "--web.enable-remote-write-receiver"


def edge_config(cluster, interval, jobs, global_port, self_port=None):
    """An edge Prometheus: scrapes `jobs` ({job: [host:port, ...]}) every `interval`, sends every sample to the
    global tier with the external label cluster=`cluster`. With `self_port` it also scrapes itself every 5 s, as
    edges usually do, so that the global tier hears from the cluster even when its services are all gone."""
    scrapes = [{"job_name": job, "static_configs": [{"targets": targets}]} for job, targets in jobs.items()]
    if self_port:
        scrapes.append({"job_name": "prometheus-edge", "scrape_interval": "5s",
                        "static_configs": [{"targets": [f"127.0.0.1:{self_port}"]}]})
    return {
        "global": {"scrape_interval": interval, "scrape_timeout": interval, "external_labels": {"cluster": cluster}},
        "scrape_configs": scrapes,
        "remote_write": [{
            "url": f"http://127.0.0.1:{global_port}/api/v1/write",
            "write_relabel_configs": [{"source_labels": ["__name__"], "regex": EDGE_DROPS, "action": "drop"}],
        }],
    }


def global_config(interval, alertmanager_port=None, rule_files=GLOBAL_RULE_FILES):
    """The global tier: scrapes nothing, receives remote write, evaluates the kit's rules every `interval`."""
    document = {
        "global": {"evaluation_interval": interval},
        "rule_files": [os.path.join(harness.ROOT, "alerts", name) for name in rule_files],
    }
    if alertmanager_port:
        targets = [f"127.0.0.1:{alertmanager_port}"]
        document["alerting"] = {"alertmanagers": [{"static_configs": [{"targets": targets}]}]}
    return document


def alertmanager_routes():
    """The route and inhibit rule docs/operations.md recommends for a tiered setup: pages and warnings grouped per
    cluster, and a cluster without data folding every other alert of that cluster (breaker alerts that resolve
    for lack of data, the series-vanished warning that follows)."""
    return {
        "group_by": ["alertname", "cluster", "job", "breaker"],
        "inhibit_rules": [{
            "source_matchers": ['alertname="CircuitBreakerClusterNoData"'],
            "target_matchers": ['alertname=~"CircuitBreaker.+"', 'alertname!="CircuitBreakerClusterNoData"'],
            "equal": ["cluster"],
        }],
    }
