#!/usr/bin/env python3
"""Validate the Grafana dashboards of the operations kit (Python 3 standard library only).

Checks, for every dashboard JSON model given (default: dashboards/*.json):
  * the model: uid, title, schemaVersion, unique panel ids, gridPos inside the 24-column grid without
    overlaps, known panel types, datasource references to ${datasource}, targets with refId and expr;
  * the kit's rules: every panel has a unit and a description; counters are only read through rate() or
    increase() over [$__rate_interval]; every circuit_breaker_* selector filters on $job, $instance and
    $breaker; the datasource, job, instance and breaker variables exist, and the query variables are
    multi-value, include All and refresh on time range change (refresh: 2);
  * every query, with the variables substituted, parses as PromQL (by `promtool check rules` on a
    temporary rule file, since promtool has no parse command);
  * with --prometheus-url: every query runs on that Prometheus; with --require-data too, each must return
    at least one non-NaN sample (unless allowed empty with --allow-empty) and each query variable values.

Prints one line per failure and ends with "N passed, M failed"; exits 1 when anything failed.
"""

import argparse
import glob
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

DATASOURCE_REF = "${datasource}"
PANEL_TYPES_WITHOUT_QUERIES = {"row", "text", "news", "dashlist"}
KNOWN_PANEL_TYPES = PANEL_TYPES_WITHOUT_QUERIES | {
    "stat", "timeseries", "state-timeline", "status-history", "bargauge", "gauge", "table", "heatmap",
    "barchart", "histogram", "piechart", "logs",
}
# The metric contract (docs/operations.md). Counters include the histogram's series.
CONTRACT_COUNTERS = {
    "circuit_breaker_calls_total",
    "circuit_breaker_slow_calls_total",
    "circuit_breaker_transitions_total",
    "circuit_breaker_fallbacks_total",
    "circuit_breaker_call_duration_seconds_bucket",
    "circuit_breaker_call_duration_seconds_sum",
    "circuit_breaker_call_duration_seconds_count",
}
RATE_FUNCTIONS = {"rate", "increase"}
# Variables every selector must honour: metric prefix -> required label matchers.
REQUIRED_FILTERS = [
    ("circuit_breaker_", ("job", "instance", "breaker")),
    ("up", ("job", "instance")),
]
REQUIRED_VARIABLES = {"datasource": "datasource", "job": "query", "instance": "query", "breaker": "query"}
PROMQL_KEYWORDS = {
    "by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "bool", "offset",
    "atan2", "inf", "nan",
}
# Values for Grafana's built-in variables when a query is parsed or run outside Grafana.
BUILTIN_VALUES = {
    "__rate_interval": "1m",
    "__interval": "15s",
    "__interval_ms": "15000",
    "__range": "1h",
    "__range_s": "3600",
    "__range_ms": "3600000",
}
VARIABLE_RE = re.compile(r"\$\{(\w+)(?::[^}]*)?\}|\[\[(\w+)(?::[^\]]*)?\]\]|\$(\w+)")
IDENT_RE = re.compile(r"[A-Za-z_:][A-Za-z0-9_:]*")
NUMBER_RE = re.compile(r"(?:0x[0-9a-fA-F]+|[0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)[a-zA-Z]*")


class Report:
    def __init__(self):
        self.passed = 0
        self.failed = 0
        self.notes = []

    def check(self, ok, where, message):
        if ok:
            self.passed += 1
        else:
            self.failed += 1
            print(f"FAIL {where}: {message}")
        return ok

    def note(self, where, message):
        print(f"NOTE {where}: {message}")


# --------------------------------------------------------------------------------------------------
# A small PromQL scanner: enough to find selectors, their range, and the enclosing function.

def _skip_string(expr, i):
    quote = expr[i]
    i += 1
    while i < len(expr):
        if expr[i] == "\\" and quote != "`":
            i += 2
            continue
        if expr[i] == quote:
            return i + 1
        i += 1
    raise ValueError("unterminated string")


def _skip_braces(expr, i):
    """expr[i] == '{'; returns the index after the matching '}'."""
    i += 1
    while i < len(expr):
        c = expr[i]
        if c in "\"'`":
            i = _skip_string(expr, i)
            continue
        if c == "}":
            return i + 1
        i += 1
    raise ValueError("unterminated label matchers")


def scan_selectors(expr):
    """Yields dicts for every metric selector: name, matchers text (or None), range text (or None), and
    the name of the innermost enclosing function call ('' for a plain parenthesis or none)."""
    stack = []  # function names of the open parentheses
    prev_ident = None  # identifier immediately before the current position (for "name(")
    i = 0
    n = len(expr)
    while i < n:
        c = expr[i]
        if c.isspace():
            i += 1
            continue
        if c == "#":  # comment to end of line
            while i < n and expr[i] != "\n":
                i += 1
            continue
        if c in "\"'`":
            i = _skip_string(expr, i)
            prev_ident = None
            continue
        if c == "(":
            stack.append(prev_ident or "")
            prev_ident = None
            i += 1
            continue
        if c == ")":
            if stack:
                stack.pop()
            prev_ident = None
            i += 1
            continue
        if c == "{":  # selector without a metric name
            end = _skip_braces(expr, i)
            matchers = expr[i + 1:end - 1]
            range_text, end = _read_range(expr, end)
            yield {"name": None, "matchers": matchers, "range": range_text, "function": stack[-1] if stack else ""}
            i = end
            prev_ident = None
            continue
        if c == "[":
            close = expr.find("]", i)
            if close < 0:
                raise ValueError("unterminated range")
            i = close + 1
            prev_ident = None
            continue
        if c.isdigit() or (c == "." and i + 1 < n and expr[i + 1].isdigit()):
            m = NUMBER_RE.match(expr, i)
            i = m.end() if m else i + 1
            prev_ident = None
            continue
        m = IDENT_RE.match(expr, i)
        if m:
            ident = m.group(0)
            j = m.end()
            while j < n and expr[j].isspace():
                j += 1
            if j < n and expr[j] == "(":
                prev_ident = ident
                i = j
                continue
            # A label list of by/without/on/ignoring/group_*: identifiers there are label names.
            if stack and stack[-1] in {"by", "without", "on", "ignoring", "group_left", "group_right"}:
                i = m.end()
                continue
            if ident.lower() in PROMQL_KEYWORDS:
                prev_ident = ident  # "by (" and friends open a label list
                i = m.end()
                continue
            matchers = None
            if j < n and expr[j] == "{":
                end = _skip_braces(expr, j)
                matchers = expr[j + 1:end - 1]
                j = end
            range_text, j = _read_range(expr, j)
            yield {"name": ident, "matchers": matchers, "range": range_text, "function": stack[-1] if stack else ""}
            i = j
            prev_ident = None
            continue
        prev_ident = None
        i += 1


def _read_range(expr, j):
    k = j
    while k < len(expr) and expr[k].isspace():
        k += 1
    if k < len(expr) and expr[k] == "[":
        close = expr.find("]", k)
        if close < 0:
            raise ValueError("unterminated range")
        return expr[k + 1:close].strip(), close + 1
    return None, j


def _matcher_uses(matchers, label, variable):
    pattern = r'(?:^|,)\s*' + re.escape(label) + r'\s*=~\s*"\$(?:\{' + variable + r'(?::\w+)?\}|' + variable + r'\b)"'
    return re.search(pattern, matchers or "") is not None


def rule_problems(expr):
    """Problems with a query against the kit's rules (before variable substitution)."""
    problems = []
    try:
        selectors = list(scan_selectors(expr))
    except ValueError as error:
        return [f"cannot scan query: {error}"]
    for sel in selectors:
        name = sel["name"] or ""
        is_counter = name in CONTRACT_COUNTERS or name.endswith("_total") or name.endswith("_bucket")
        if is_counter:
            if sel["function"] not in RATE_FUNCTIONS or sel["range"] is None:
                problems.append(f"counter {name} is read without rate() or increase()")
        if sel["function"] in RATE_FUNCTIONS and sel["range"] is not None and sel["range"] != "$__rate_interval":
            problems.append(f"{sel['function']}() over [{sel['range']}] instead of [$__rate_interval] ({name})")
        for prefix, labels in REQUIRED_FILTERS:
            if name == prefix or (prefix.endswith("_") and name.startswith(prefix)):
                for label in labels:
                    if not _matcher_uses(sel["matchers"], label, label):
                        problems.append(f'{name} does not filter on {label}=~"${label}"')
    return problems


# --------------------------------------------------------------------------------------------------
# Variable substitution.

def substitute(text, values):
    unknown = []

    def replace(match):
        name = match.group(1) or match.group(2) or match.group(3)
        if name in values:
            return values[name]
        unknown.append(name)
        return match.group(0)

    return VARIABLE_RE.sub(replace, text), unknown


def variable_query(variable):
    query = variable.get("query")
    if isinstance(query, dict):
        query = query.get("query")
    return query if isinstance(query, str) else ""


def label_values_parts(query):
    """label_values(selector, label) -> (selector, label); label_values(label) -> (None, label)."""
    m = re.fullmatch(r"\s*label_values\(\s*(.*?)\s*,\s*(\w+)\s*\)\s*", query, re.S)
    if m:
        return m.group(1), m.group(2)
    m = re.fullmatch(r"\s*label_values\(\s*(\w+)\s*\)\s*", query)
    if m:
        return None, m.group(1)
    return None, None


# --------------------------------------------------------------------------------------------------
# Dashboard model checks.

def iter_panels(panels):
    for panel in panels or []:
        yield panel
        # Collapsed rows keep their panels inside.
        yield from iter_panels(panel.get("panels"))


def check_model(path, dash, report, uids):
    where = os.path.relpath(path, ROOT)
    for field, kind in (("uid", str), ("title", str), ("schemaVersion", int), ("panels", list)):
        report.check(isinstance(dash.get(field), kind) and dash.get(field) != "", where,
                     f"missing or invalid top-level field {field!r}")
    uid = dash.get("uid")
    if isinstance(uid, str):
        report.check(re.fullmatch(r"[A-Za-z0-9_-]{1,40}", uid) is not None, where,
                     f"uid {uid!r} must be 1-40 characters of letters, digits, '-' and '_'")
        report.check(uid not in uids, where, f"uid {uid!r} already used by {uids.get(uid)}")
        uids[uid] = where
    report.check(isinstance(dash.get("schemaVersion"), int) and dash["schemaVersion"] >= 36, where,
                 "schemaVersion should be recent (>= 36)")
    report.check(dash.get("id") is None, where, "id must be null so Grafana assigns one on import")

    variables = {v.get("name"): v for v in (dash.get("templating") or {}).get("list", [])}
    for name, vtype in REQUIRED_VARIABLES.items():
        var = variables.get(name)
        vwhere = f"{where} variable ${name}"
        if not report.check(var is not None, vwhere, "missing"):
            continue
        report.check(var.get("type") == vtype, vwhere, f"type {var.get('type')!r}, expected {vtype!r}")
        if vtype == "datasource":
            report.check(var.get("query") == "prometheus", vwhere, "must list datasources of type prometheus")
            continue
        report.check(_is_ds_ref(var.get("datasource")), vwhere, f"datasource must reference {DATASOURCE_REF}")
        report.check(var.get("refresh") == 2, vwhere, "refresh must be 2 (on time range change)")
        report.check(var.get("multi") is True and var.get("includeAll") is True, vwhere,
                     "must be multi-value and include All")
        query = variable_query(var)
        selector, label = label_values_parts(query)
        report.check(label == name, vwhere, f"query {query!r} should be label_values(<selector>, {name})")

    seen_ids = {}
    boxes = []
    for panel in iter_panels(dash.get("panels")):
        pid = panel.get("id")
        pwhere = f"{where} panel {pid} {panel.get('title')!r}"
        report.check(isinstance(pid, int), pwhere, "id must be an integer")
        report.check(pid not in seen_ids, pwhere, f"duplicate panel id (also {seen_ids.get(pid)!r})")
        seen_ids[pid] = panel.get("title")
        ptype = panel.get("type")
        report.check(ptype in KNOWN_PANEL_TYPES, pwhere, f"unknown panel type {ptype!r}")
        report.check(isinstance(panel.get("title"), str) and panel.get("title"), pwhere, "missing title")
        grid = panel.get("gridPos") or {}
        grid_ok = all(isinstance(grid.get(k), int) for k in "hwxy") and grid.get("w", 0) > 0 and grid.get("h", 0) > 0
        if report.check(grid_ok, pwhere, f"gridPos needs integer h, w, x, y: {grid}"):
            report.check(0 <= grid["x"] and grid["x"] + grid["w"] <= 24 and grid["y"] >= 0, pwhere,
                         f"gridPos {grid} outside the 24-column grid")
            for other_where, other in boxes:
                if _overlap(grid, other):
                    report.check(False, pwhere, f"gridPos overlaps {other_where}")
            boxes.append((pwhere, grid))
        if ptype in PANEL_TYPES_WITHOUT_QUERIES:
            continue
        report.check(isinstance(panel.get("description"), str) and panel["description"].strip(), pwhere,
                     "missing description")
        unit = ((panel.get("fieldConfig") or {}).get("defaults") or {}).get("unit")
        report.check(isinstance(unit, str) and unit, pwhere, "missing fieldConfig.defaults.unit")
        report.check(_is_ds_ref(panel.get("datasource")), pwhere, f"datasource must reference {DATASOURCE_REF}")
        targets = panel.get("targets") or []
        if not report.check(targets, pwhere, "no targets"):
            continue
        refids = set()
        for target in targets:
            twhere = f"{pwhere} target {target.get('refId')}"
            report.check(isinstance(target.get("refId"), str) and target.get("refId") and
                         target["refId"] not in refids, twhere, "refId missing or duplicated")
            refids.add(target.get("refId"))
            if "datasource" in target:
                report.check(_is_ds_ref(target["datasource"]), twhere, f"datasource must reference {DATASOURCE_REF}")
            expr = target.get("expr")
            if not report.check(isinstance(expr, str) and expr.strip(), twhere, "missing expr"):
                continue
            problems = rule_problems(expr)
            report.check(not problems, twhere, "; ".join(problems))
    return variables


def _is_ds_ref(ref):
    return isinstance(ref, dict) and ref.get("type") == "prometheus" and ref.get("uid") == DATASOURCE_REF


def _overlap(a, b):
    return a["x"] < b["x"] + b["w"] and b["x"] < a["x"] + a["w"] and a["y"] < b["y"] + b["h"] and b["y"] < a["y"] + a["h"]


def collect_queries(dash, variables, values, report, where):
    """[(description, substituted expr, kind, panel, target)] for every query of the dashboard."""
    queries = []
    for name, var in variables.items():
        if var.get("type") != "query":
            continue
        selector, label = label_values_parts(variable_query(var))
        if selector:
            text, unknown = substitute(selector, values)
            if report.check(not unknown, f"{where} variable ${name}", f"unknown variables {unknown}"):
                queries.append((f"{where} variable ${name}", text, "variable", var, label))
    for panel in iter_panels(dash.get("panels")):
        for target in panel.get("targets") or []:
            expr = target.get("expr")
            if not isinstance(expr, str) or not expr.strip():
                continue
            twhere = f"{where} panel {panel.get('id')} {panel.get('title')!r} target {target.get('refId')}"
            text, unknown = substitute(expr, values)
            if report.check(not unknown, twhere, f"unknown variables {unknown}"):
                queries.append((twhere, text, "panel", panel, target))
    return queries


# --------------------------------------------------------------------------------------------------
# PromQL parsing through promtool.

def promtool_parse(queries, promtool, report):
    if not report.check(promtool is not None, "promtool", "not found on PATH (needed to parse the queries)"):
        return
    with tempfile.TemporaryDirectory(prefix="check-dashboards-") as tmp:
        def run(items):
            rules = [{"record": f"dashboard_query:check:{i}", "expr": q[1]} for i, q in enumerate(items)]
            path = os.path.join(tmp, "queries.rules.json")  # JSON is YAML: no YAML library needed
            with open(path, "w") as handle:
                json.dump({"groups": [{"name": "dashboard-queries", "rules": rules}]}, handle)
            result = subprocess.run([promtool, "check", "rules", path], capture_output=True, text=True)
            return result.returncode == 0, (result.stdout + result.stderr).strip()

        ok, _ = run(queries)
        if ok:
            for where, _, _, _, _ in queries:
                report.check(True, where, "")
            return
        # Find the culprits one by one, so each failure names its panel.
        for query in queries:
            ok, output = run([query])
            detail = output.splitlines()[-1] if output else "promtool failed"
            report.check(ok, query[0], f"does not parse as PromQL: {detail}\n    query: {query[1]}")


# --------------------------------------------------------------------------------------------------
# Live checks against a Prometheus.

def api_get(base, path, params):
    url = base.rstrip("/") + path + "?" + urllib.parse.urlencode(params, doseq=True)
    try:
        with urllib.request.urlopen(url, timeout=15) as response:
            return json.load(response)
    except urllib.error.HTTPError as error:
        try:
            return json.load(error)
        except ValueError:
            return {"status": "error", "error": f"HTTP {error.code}"}
    except (urllib.error.URLError, OSError, ValueError) as error:
        return {"status": "error", "error": str(error)}


def has_data(data):
    kind, result = data.get("resultType"), data.get("result")
    if kind == "scalar":
        values = [result[1]]
    elif kind == "vector":
        values = [sample["value"][1] for sample in result]
    elif kind == "matrix":
        values = [v[1] for series in result for v in series["values"]]
    else:
        return False
    return any(not math.isnan(float(v)) for v in values)


def allowed_empty(allow, panel, target):
    for key in (f"{panel.get('id')}/{target.get('refId')}", str(panel.get("id")),
                f"{panel.get('title')}/{target.get('refId')}", panel.get("title")):
        if key in allow:
            return allow[key]
    return None


def live_checks(queries, url, require_data, allow, report):
    used = set()
    for where, text, kind, owner, extra in queries:
        if kind == "variable":
            answer = api_get(url, "/api/v1/series", {"match[]": text})
            if not report.check(answer.get("status") == "success", where, f"series query failed: {answer.get('error')}"):
                continue
            if require_data:
                values = {s.get(extra) for s in answer.get("data") or [] if s.get(extra)}
                report.check(values, where, f"no values for label {extra} (selector {text})")
            continue
        answer = api_get(url, "/api/v1/query", {"query": text})
        if not report.check(answer.get("status") == "success", where,
                            f"query failed: {answer.get('error')}\n    query: {text}"):
            continue
        if not require_data:
            continue
        reason = allowed_empty(allow, owner, extra)
        if reason is not None:
            used.add(reason)
        if has_data(answer.get("data") or {}):
            report.check(True, where, "")
        elif reason is not None:
            report.note(where, f"no data, allowed: {reason}")
            report.check(True, where, "")
        else:
            report.check(False, where, f"returned no data\n    query: {text}")
    for key, reason in allow.items():
        if reason not in used:
            report.note(f"--allow-empty {key}", "matches no panel query")


# --------------------------------------------------------------------------------------------------
# Provisioning files: light checks without a YAML parser.

def check_provisioning(report):
    base = os.path.join(ROOT, "dashboards", "provisioning")
    ds = os.path.join(base, "datasources", "prometheus.yml")
    dp = os.path.join(base, "dashboards", "circuit-breakers.yml")
    for path, needles in ((ds, ("apiVersion: 1", "datasources:", "type: prometheus", "url:")),
                          (dp, ("apiVersion: 1", "providers:", "type: file", "path:"))):
        where = os.path.relpath(path, ROOT)
        if not report.check(os.path.isfile(path), where, "missing"):
            continue
        text = open(path, encoding="utf-8").read()
        report.check("\t" not in text, where, "tabs are not allowed in YAML indentation")
        for needle in needles:
            report.check(needle in text, where, f"expected {needle!r}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dashboards", nargs="*", help="dashboard JSON files (default: dashboards/*.json)")
    parser.add_argument("--promtool", default=shutil.which("promtool"), help="promtool binary (default: from PATH)")
    parser.add_argument("--var", action="append", default=[], metavar="NAME=VALUE",
                        help="value substituted for $NAME (default: .+ for job, instance, breaker)")
    parser.add_argument("--prometheus-url", help="also run every query on this Prometheus")
    parser.add_argument("--require-data", action="store_true", help="with --prometheus-url: fail on empty results")
    parser.add_argument("--allow-empty", action="append", default=[], metavar="PANEL[/REFID]=REASON",
                        help="a panel (id or title) or one of its targets that may return no data, with the reason")
    parser.add_argument("--skip-provisioning", action="store_true", help="do not check dashboards/provisioning/")
    args = parser.parse_args(argv)

    values = dict(BUILTIN_VALUES)
    values.update({"job": ".+", "instance": ".+", "breaker": ".+"})
    for item in args.var:
        name, _, value = item.partition("=")
        values[name] = value
    allow = {}
    for item in args.allow_empty:
        key, sep, reason = item.partition("=")
        if not sep or not reason.strip():
            parser.error(f"--allow-empty {item!r}: give a reason, PANEL[/REFID]=REASON")
        allow[key] = reason.strip()

    paths = args.dashboards or sorted(glob.glob(os.path.join(ROOT, "dashboards", "*.json")))
    report = Report()
    if not report.check(paths, "dashboards", "no dashboard JSON files found"):
        paths = []
    uids = {}
    all_queries = []
    for path in paths:
        where = os.path.relpath(os.path.abspath(path), ROOT)
        try:
            with open(path, encoding="utf-8") as handle:
                dash = json.load(handle)
        except (OSError, ValueError) as error:
            report.check(False, where, f"not a readable JSON file: {error}")
            continue
        variables = check_model(path, dash, report, uids)
        all_queries += collect_queries(dash, variables, values, report, where)
    if not args.skip_provisioning:
        check_provisioning(report)
    if all_queries:
        promtool_parse(all_queries, args.promtool, report)
        if args.prometheus_url:
            live_checks(all_queries, args.prometheus_url, args.require_data, allow, report)

    print(f"check_dashboards: {report.passed} passed, {report.failed} failed")
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
