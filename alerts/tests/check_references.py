#!/usr/bin/env python3
"""Cross-checks of the rule files, their runbook and their unit tests.

Every alert has a severity label, summary, description and runbook_url annotations, and a runbook section that
its runbook_url's anchor names. At each scrape interval every alert has a test case where it fires and one where
it must not, and every recording rule is read by a promql_expr_test. Prints one line per problem and
"N passed, M failed"; exits 1 on any problem.
"""

import os
import re
import sys

import yaml

ALERTS_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RULE_FILES = ("recording-rules.yml", "alerting-rules.yml")
TEST_FILES = ("tests/scrape-15s.test.yml", "tests/scrape-60s.test.yml")
RUNBOOK_PREFIX = "https://github.com/example/swift-circuit-breaker/blob/main/alerts/runbook.md#"


def load(name):
    with open(os.path.join(ALERTS_DIR, name), encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def github_anchor(heading):
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def main():
    results = []  # (ok, message)
    alerts, records = {}, []
    for name in RULE_FILES:
        for group in load(name)["groups"]:
            for rule in group["rules"]:
                if "alert" in rule:
                    results.append((rule["alert"] not in alerts, f"{rule['alert']}: defined once"))
                    alerts[rule["alert"]] = rule
                else:
                    records.append(rule["record"])
    with open(os.path.join(ALERTS_DIR, "runbook.md"), encoding="utf-8") as handle:
        anchors = {github_anchor(h) for h in re.findall(r"^#{1,6}\s+(.+)$", handle.read(), re.M)}

    for name, rule in sorted(alerts.items()):
        severity = rule.get("labels", {}).get("severity")
        results.append((severity in ("critical", "warning"), f"{name}: severity critical or warning ({severity})"))
        annotations = rule.get("annotations", {})
        for key in ("summary", "description", "runbook_url"):
            results.append((bool(annotations.get(key, "").strip()), f"{name}: annotation {key}"))
        url = annotations.get("runbook_url", "")
        anchor = url[len(RUNBOOK_PREFIX):] if url.startswith(RUNBOOK_PREFIX) else None
        results.append((anchor == name.lower(), f"{name}: runbook_url is {RUNBOOK_PREFIX}{name.lower()}"))
        results.append((name.lower() in anchors, f"{name}: alerts/runbook.md has a '## {name}' section"))

    for path in TEST_FILES:
        firing, quiet, exprs = set(), set(), []
        for case in load(path)["tests"]:
            for check in case.get("alert_rule_test", []):
                (firing if check.get("exp_alerts") else quiet).add(check["alertname"])
            exprs += [check["expr"] for check in case.get("promql_expr_test", [])]
        for name in sorted(alerts):
            results.append((name in firing, f"{path}: {name} has a case where it fires"))
            results.append((name in quiet, f"{path}: {name} has a case where it must not fire"))
        for name in sorted(set(firing | quiet) - set(alerts)):
            results.append((False, f"{path}: tests name unknown alert {name}"))
        for record in records:
            used = any(re.search(rf"(?<![\w:]){re.escape(record)}(?![\w:])", expr) for expr in exprs)
            results.append((used, f"{path}: recording rule {record} is read by a promql_expr_test"))

    failed = [message for ok, message in results if not ok]
    for message in failed:
        print(f"FAIL {message}")
    print(f"references: {len(alerts)} alerts, {len(records)} recording rules")
    print(f"{len(results) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
