#!/usr/bin/env python3
"""Checks the Grafana dashboards of the operations kit (default: dashboards/*.json).

  * each rule of Grafana's dashboard-linter, by the linter's name (linter_rules.py);
  * the kit's rules (kit_rules.py): a sound model, metrics from the metric contract (docs/metric-contract.json) or
    the recording rules, recording rules used where they record what a panel computes, no event counted once per
    overlapping window in a graph, provisioning files;
  * every query, with its variables substituted, parses as PromQL for promtool (`promtool check rules` on a
    temporary rule file: promtool has no command that parses a bare query);
  * with --prometheus-url: every query runs there; with --require-data, each returns data (unless allowed empty
    with --allow-empty PANEL=REASON, or $VARIABLE=REASON).

Prints one line per failure, a line per rule, and "N passed, M failed"; exits 1 when anything failed.
Run it with the kit's Python: e2e/python.sh dashboards/check_dashboards.py
"""

import argparse
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import dashboard_queries  # noqa: E402
import kit_rules  # noqa: E402
import linter_rules  # noqa: E402


class Report:
    """Counts checks per rule; prints each failure with the dashboard, the rule and where it failed."""

    def __init__(self):
        self.passed = self.failed = 0
        self.rule = self.dashboard = ""
        self.per_rule = {}

    def check(self, ok, where, message):
        counts = self.per_rule.setdefault(self.rule, [0, 0])
        if ok:
            self.passed += 1
            counts[0] += 1
        else:
            self.failed += 1
            counts[1] += 1
            print(f"FAIL [{self.rule}] {self.dashboard} {where}: {message}")
        return ok


def promtool_parse(queries, promtool, report):
    report.rule = "promtool-parse"
    if not report.check(promtool is not None, "promtool", "is on PATH (Debian package prometheus)"):
        return
    with tempfile.TemporaryDirectory(prefix="check-dashboards-") as work:
        def parses(items):
            path = os.path.join(work, "queries.rules.json")  # JSON is YAML
            rules = [{"record": f"dashboard:query:{index}", "expr": query.expr} for index, query in enumerate(items)]
            with open(path, "w", encoding="utf-8") as handle:
                json.dump({"groups": [{"name": "dashboard-queries", "rules": rules}]}, handle)
            result = subprocess.run([promtool, "check", "rules", path], capture_output=True, text=True)
            return result.returncode == 0, (result.stdout + result.stderr).strip()

        if parses(queries)[0]:
            for query in queries:
                report.check(True, query.where, "")
            return
        for query in queries:  # one by one, so that each failure names its panel
            ok, output = parses([query])
            report.check(ok, query.where, f"parses with promtool: {output.splitlines()[-1] if output else ''}\n"
                                          f"    query: {query.expr}")


def live_checks(queries, url, require_data, allowed_empty, report):
    report.rule = "live-query"
    prometheus = dashboard_queries.Prometheus(url)
    for query in queries:
        data, error, _ = prometheus.run(query)
        if not report.check(error is None, query.where, f"runs on {url}: {error}\n    query: {query.expr}"):
            continue
        if require_data:
            # A panel by its id, a variable by its name: "$group".
            key = str(query.panel["id"]) if query.panel else query.where.removeprefix("variable ")
            if key in allowed_empty and not dashboard_queries.has_values(data):
                print(f"NOTE {query.where}: no data, allowed: {allowed_empty[key]}")
                continue
            report.check(dashboard_queries.has_values(data), query.where, f"returns data\n    query: {query.expr}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dashboards", nargs="*", help="dashboard JSON files (default: dashboards/*.json)")
    parser.add_argument("--promtool", default=shutil.which("promtool"), help="promtool (default: from PATH)")
    parser.add_argument("--var", action="append", default=[], metavar="NAME=VALUE",
                        help="value for $NAME (default: .+ for job, instance and breaker)")
    parser.add_argument("--prometheus-url", help="also run every query on this Prometheus")
    parser.add_argument("--require-data", action="store_true", help="with --prometheus-url: fail on empty results")
    parser.add_argument("--allow-empty", action="append", default=[], metavar="PANEL_ID=REASON",
                        help="a panel (its id) or a variable ($name) that may return no data, and why")
    args = parser.parse_args(argv)
    values = dict(item.split("=", 1) for item in args.var)
    allowed_empty = dict(item.split("=", 1) for item in args.allow_empty)

    contract = kit_rules.contract_series()
    records = kit_rules.recording_rules()
    recorded = kit_rules.recorded_rates(records)
    counters = {name for name, kind in contract.items() if kind == "counter"}
    report = Report()
    paths = args.dashboards or sorted(glob.glob(os.path.join(HERE, "*.json")))
    report.rule = "files"
    report.check(paths, "dashboards/", "holds dashboard JSON files")
    all_queries = []
    for path in paths:
        report.dashboard = os.path.relpath(os.path.abspath(path), os.path.dirname(HERE))
        try:
            with open(path, encoding="utf-8") as handle:
                dash = json.load(handle)
        except (OSError, ValueError) as error:
            report.rule = "files"
            report.check(False, "", f"is readable JSON: {error}")
            continue
        for name, rule in linter_rules.RULES.items():
            report.rule = name
            if name == "target-counter-agg":
                rule(dash, report, counters)
            else:
                rule(dash, report)
        for name, rule in (("model", kit_rules.model),
                           ("known-metrics", lambda d, r: kit_rules.known_metrics(d, r, contract, records)),
                           ("uses-recording-rules", lambda d, r: kit_rules.uses_recording_rules(d, r, recorded)),
                           ("counted-once", kit_rules.counted_once)):
            report.rule = name
            rule(dash, report)
        report.rule = "substitution"
        try:
            all_queries += dashboard_queries.collect(dash, values)
        except KeyError as error:
            report.check(False, "", f"every variable has a value to substitute ({error} has none)")
    report.dashboard = ""
    report.rule = "provisioning"
    kit_rules.provisioning(report)
    if all_queries:
        promtool_parse(all_queries, args.promtool, report)
        if args.prometheus_url:
            live_checks(all_queries, args.prometheus_url, args.require_data, allowed_empty, report)

    for rule, (passed, failed) in report.per_rule.items():
        print(f"  {rule:32} {passed:4} passed, {failed} failed")
    print(f"check_dashboards: {report.passed} passed, {report.failed} failed")
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
