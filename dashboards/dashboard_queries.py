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
    "job": ".+", "instance": ".+", "breaker": ".+", "group": ".+",
}
GRAPH_TYPES = {"timeseries", "state-timeline", "graph", "status-history", "heatmap", "barchart"}


@dataclass
class Query:
    where: str
    expr: str  # substituted
    kind: str  # "range" (a graph), "instant", or "variable" (a label_values selector)
    panel: dict = None
    target: dict = None
    label: str = ""  # for a variable: the label whose values it lists
    step: int = 15  # seconds: the panel's minimum interval when it sets one, as Grafana honours it


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
        match = re.fullmatch(r"\s*label_values\((.*),\s*(\w+)\)\s*", linter_rules.variable_query(variable), re.S)
        if match:
            queries.append(Query(f"variable ${variable.get('name')}", substitute(match.group(1), values), "variable",
                                 label=match.group(2)))
    for panel in linter_rules.query_panels(dash):
        for target in panel.get("targets") or []:
            kind = "range" if panel.get("type") in GRAPH_TYPES and not target.get("instant") else "instant"
            step = max(15, duration_seconds(panel.get("interval") or "15s"))
            queries.append(Query(linter_rules.target_where(panel, target), substitute(target["expr"], values), kind,
                                 panel, target, step=step))
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

    def run(self, query, end=None, span=3600, step=None):
        """Runs a dashboard query as Grafana would: a range query over `span` seconds for a graph, an instant
        query otherwise, and for a variable the label-values query Grafana 10 sends."""
        end = end if end is not None else time.time()
        if query.kind == "variable":
            return self.get(f"/api/v1/label/{query.label}/values",
                            **{"match[]": query.expr, "start": end - span, "end": end})
        if query.kind == "range":
            return self.get("/api/v1/query_range", query=query.expr, start=end - span, end=end,
                            step=step or query.step, stats="all")
        return self.get("/api/v1/query", query=query.expr, time=end, stats="all")


def reported_seconds(data):
    """The query engine's own time for a query run with stats=all (execTotalTime: queueing, preparation and
    evaluation, without encoding the answer), or None."""
    timings = (data.get("stats") or {}).get("timings") if isinstance(data, dict) else None
    return timings.get("execTotalTime") if timings else None


def samples_read(data):
    """How many samples the engine read for a query run with stats=all (0 when it did not say)."""
    stats = data.get("stats") if isinstance(data, dict) else None
    return ((stats or {}).get("samples") or {}).get("totalQueryableSamples", 0)


def duration_seconds(text):
    """'15s', '1m', '2h' -> seconds."""
    match = re.fullmatch(r"(\d+)([smh])", text.strip())
    if not match:
        raise ValueError(f"unsupported interval {text!r}")
    return int(match.group(1)) * {"s": 1, "m": 60, "h": 3600}[match.group(2)]


def series_count(data):
    if isinstance(data, list):  # label values
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
