"""Every query of a dashboard, with its variables substituted as Grafana would send it, and a small client of the
Prometheus HTTP API to run them. Used by check_dashboards.py and by the scale proof (e2e/scale_proof.py).
"""

import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

import linter_rules

VARIABLE = re.compile(r"\$\{(\w+)(?::[^}]*)?\}|\[\[(\w+)(?::[^\]]*)?\]\]|\$(\w+)")
# Grafana's built-in variables for a one-hour range at a 15 s step; $__rate_interval is four scrape intervals.
DEFAULT_VALUES = {
    "__rate_interval": "1m", "__interval": "15s", "__interval_ms": "15000",
    "__range": "1h", "__range_s": "3600", "__range_ms": "3600000",
    "job": ".+", "instance": ".+", "breaker": ".+",
}
GRAPH_TYPES = {"timeseries", "state-timeline", "graph", "status-history", "heatmap", "barchart"}


@dataclass
class Query:
    where: str
    expr: str  # substituted
    kind: str  # "range" (a graph), "instant", or "variable" (a label_values selector)
    panel: dict = None
    target: dict = None


def substitute(text, values):
    """`text` with every variable replaced; raises KeyError naming a variable without a value."""
    def replace(match):
        name = match.group(1) or match.group(2) or match.group(3)
        if name not in values:
            raise KeyError(name)
        return values[name]
    return VARIABLE.sub(replace, text)


def collect(dash, values):
    """The dashboard's queries, substituted with `values` (DEFAULT_VALUES for those not given)."""
    values = dict(DEFAULT_VALUES, **values)
    queries = []
    for variable in linter_rules.variables(dash):
        if variable.get("type") != "query":
            continue
        match = re.fullmatch(r"\s*label_values\((.*),\s*\w+\)\s*", linter_rules.variable_query(variable), re.S)
        if match:
            queries.append(Query(f"variable ${variable.get('name')}", substitute(match.group(1), values), "variable"))
    for panel in linter_rules.query_panels(dash):
        for target in panel.get("targets") or []:
            kind = "range" if panel.get("type") in GRAPH_TYPES and not target.get("instant") else "instant"
            queries.append(Query(linter_rules.target_where(panel, target), substitute(target["expr"], values), kind,
                                 panel, target))
    return queries


class Prometheus:
    """GET requests to a Prometheus HTTP API; each answer is (data or None, error or None, seconds taken)."""

    def __init__(self, url, timeout=30):
        self.url = url.rstrip("/")
        self.timeout = timeout

    def get(self, path, **params):
        url = self.url + path + "?" + urllib.parse.urlencode(params, doseq=True)
        started = time.monotonic()
        try:
            with urllib.request.urlopen(url, timeout=self.timeout) as response:
                body = json.load(response)
        except urllib.error.HTTPError as error:
            try:
                body = json.load(error)
            except ValueError:
                body = {"status": "error", "error": f"HTTP {error.code}"}
        except (urllib.error.URLError, OSError, ValueError) as error:
            body = {"status": "error", "error": str(error)}
        elapsed = time.monotonic() - started
        if body.get("status") != "success":
            return None, body.get("error", "no error text"), elapsed
        return body["data"], None, elapsed

    def run(self, query, end=None, span=3600, step=15):
        """Runs a dashboard query as Grafana would: a range query over `span` seconds for a graph, an instant
        query otherwise, a series query for a variable."""
        end = end if end is not None else time.time()
        if query.kind == "variable":
            return self.get("/api/v1/series", **{"match[]": query.expr, "start": end - span, "end": end})
        if query.kind == "range":
            return self.get("/api/v1/query_range", query=query.expr, start=end - span, end=end, step=step)
        return self.get("/api/v1/query", query=query.expr, time=end)


def series_count(data):
    if isinstance(data, list):  # /api/v1/series
        return len(data)
    return len(data.get("result") or []) if data.get("resultType") in ("vector", "matrix") else 1


def has_values(data):
    if isinstance(data, list):
        return bool(data)
    kind, result = data.get("resultType"), data.get("result")
    if kind == "scalar":
        return result[1] != "NaN"
    samples = [s["value"][1] for s in result] if kind == "vector" else [v[1] for s in result for v in s["values"]]
    return any(value != "NaN" for value in samples)
