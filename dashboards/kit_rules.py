"""The kit's own dashboard rules, beyond the linter's: a sound model (ids, grid, references), every metric read
exists in the metric contract (docs/metric-contract.json) or the recording rules (alerts/recording-rules.yml), and
panels read a recording rule where one records what they would compute.
"""

import json
import os
import re

import promql_parser
import yaml

import dashboard_queries
import linter_rules
import promql_tree

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONTRACT = os.path.join(ROOT, "docs", "metric-contract.json")
RECORDING_RULES = os.path.join(ROOT, "alerts", "recording-rules.yml")
SCRAPE_SERIES = {"up", "ALERTS", "ALERTS_FOR_STATE"}


def contract_series():
    """{series name: type} for every series the contract's families expose (a histogram exposes three)."""
    with open(CONTRACT, encoding="utf-8") as handle:
        families = json.load(handle)["families"]
    names = {}
    for family in families:
        if family["type"] == "histogram":
            for suffix in ("_bucket", "_sum", "_count"):
                names[family["name"] + suffix] = "counter"
        else:
            names[family["name"]] = family["type"]
    return names


def recording_rules():
    """{record name: parsed expression} of alerts/recording-rules.yml."""
    with open(RECORDING_RULES, encoding="utf-8") as handle:
        document = yaml.safe_load(handle)
    return {rule["record"]: promql_parser.parse(rule["expr"])
            for group in document["groups"] for rule in group["rules"] if "record" in rule}


def recorded_rates(rules):
    """{metric: record} for every recording rule that records the rate() of one whole metric (summed or not)."""
    recorded = {}
    for record, tree in rules.items():
        found = list(promql_tree.selectors(tree))
        if len(found) != 1:
            continue
        selector, parents = found[0]
        function, _ = promql_tree.enclosing_call(parents)
        if function == "rate" and not selector.matchers.matchers:
            recorded[promql_tree.metric_name(selector)] = record
    return recorded


def model(dash, report):
    """Fields Grafana needs to import the model, unique panel ids and refIds, panels inside the 24-column grid
    without overlaps."""
    for field, kind in (("uid", str), ("title", str), ("schemaVersion", int), ("panels", list)):
        report.check(isinstance(dash.get(field), kind) and dash.get(field) != "", "dashboard", f"has {field}")
    report.check(re.fullmatch(r"[A-Za-z0-9_-]{1,40}", str(dash.get("uid"))) is not None, "dashboard",
                 "uid is 1-40 letters, digits, '-' or '_'")
    report.check(dash.get("id") is None, "dashboard", "id is null, so that Grafana assigns one on import")
    seen, boxes = set(), []
    for panel in linter_rules.panels(dash):
        where = linter_rules.panel_where(panel)
        report.check(isinstance(panel.get("id"), int) and panel["id"] not in seen, where, "has a unique integer id")
        seen.add(panel.get("id"))
        grid = panel.get("gridPos") or {}
        if not report.check(all(isinstance(grid.get(k), int) for k in "hwxy"), where, f"has a gridPos: {grid}"):
            continue
        report.check(grid["x"] >= 0 and grid["x"] + grid["w"] <= 24 and grid["y"] >= 0, where, "fits the 24 columns")
        for other_where, other in boxes:
            overlap = (grid["x"] < other["x"] + other["w"] and other["x"] < grid["x"] + grid["w"]
                       and grid["y"] < other["y"] + other["h"] and other["y"] < grid["y"] + grid["h"])
            report.check(not overlap, where, f"does not overlap {other_where}")
        boxes.append((where, grid))
        refids = [t.get("refId") for t in panel.get("targets") or []]
        report.check(len(refids) == len(set(refids)) and all(refids), where, "has unique refIds")


def known_metrics(dash, report, contract, records):
    """Every series a panel or variable reads is in the metric contract, a recording rule, or Prometheus's own."""
    known = set(contract) | set(records) | SCRAPE_SERIES
    queries = [(linter_rules.target_where(p, t), t.get("expr", ""))
               for p in linter_rules.query_panels(dash) for t in p.get("targets") or []]
    for variable in linter_rules.variables(dash):
        if variable.get("type") == "query":
            selector = linter_rules.variable_query(variable)
            match = re.fullmatch(r"\s*label_values\((.*),\s*\w+\)\s*", selector, re.S)
            if match:
                queries.append((f"variable ${variable.get('name')}", match.group(1)))
    for where, expr in queries:
        try:
            tree = promql_tree.parse(expr)
        except ValueError:
            continue  # target-promql reports it
        for selector, _ in promql_tree.selectors(tree):
            name = promql_tree.metric_name(selector)
            report.check(name in known, where, f"reads {name!r}, which is in the metric contract or a recording rule")


def uses_recording_rules(dash, report, recorded):
    """A panel does not compute rate() of a whole metric that a recording rule records."""
    for panel, target, tree in linter_rules.parsed_targets(dash):
        for selector, parents in promql_tree.selectors(tree) if tree else ():
            function, _ = promql_tree.enclosing_call(parents)
            name = promql_tree.metric_name(selector)
            report.check(function not in ("rate", "irate") or name not in recorded,
                         linter_rules.target_where(panel, target),
                         f"computes {function}({name}) although {recorded.get(name)} records it")


def provisioning(report):
    """Light checks of the Grafana provisioning files (YAML parsed, the keys Grafana needs present)."""
    base = os.path.join(ROOT, "dashboards", "provisioning")
    for path, section, key in ((os.path.join(base, "datasources", "prometheus.yml"), "datasources", "url"),
                               (os.path.join(base, "dashboards", "circuit-breakers.yml"), "providers", "options")):
        where = os.path.relpath(path, ROOT)
        try:
            with open(path, encoding="utf-8") as handle:
                document = yaml.safe_load(handle)
        except (OSError, yaml.YAMLError) as error:
            report.check(False, where, f"is readable YAML: {error}")
            continue
        entries = document.get(section) if isinstance(document, dict) else None
        report.check(document.get("apiVersion") == 1 and entries and all(key in e for e in entries), where,
                     f"has apiVersion 1 and {section} with {key}")


def counted_once(dash, report):
    """A graph never shows increase(): at a step shorter than the window, overlapping windows show one event
    several times (at a 15 s step, increase[$__rate_interval] shows each transition four times). Graphs show rates;
    counts come from one instant query over the whole range."""
    for panel, target, tree in linter_rules.parsed_targets(dash):
        graph = panel.get("type") in dashboard_queries.GRAPH_TYPES and not target.get("instant")
        for selector, parents in promql_tree.selectors(tree) if tree else ():
            function, _ = promql_tree.enclosing_call(parents)
            pinned = selector.at is not None  # `[$__range] @ end()`: one window for every step
            report.check(not graph or function != "increase" or pinned, linter_rules.target_where(panel, target),
                         f"a graph shows increase({promql_tree.metric_name(selector)}[…]) per step")
