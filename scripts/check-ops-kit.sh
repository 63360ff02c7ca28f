#!/usr/bin/env bash
# Static checks of the operations kit: Prometheus rules and their unit tests, the alert/runbook/test
# cross-references, and the Grafana dashboards. Needs promtool (Debian package "prometheus") and python3.
# Usage: scripts/check-ops-kit.sh        Exit status: 0 when every check passed.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT" || exit 2

passed=0
failed=0
failures=()

run_check() { # name, command...
    local name="$1"
    shift
    echo "==> $name"
    if "$@"; then
        passed=$((passed + 1))
        echo "    ok"
    else
        failed=$((failed + 1))
        failures+=("$name")
        echo "    FAILED: $name"
    fi
}

if ! command -v promtool >/dev/null 2>&1; then
    echo "promtool not found: install the Debian package 'prometheus' (apt-get install -y prometheus)" >&2
    echo "0 passed, 1 failed"
    exit 1
fi

shopt -s nullglob
rule_files=(alerts/*.yml)
test_files=(alerts/tests/*.yml)
shopt -u nullglob

run_check "rule files present" test "${#rule_files[@]}" -gt 0
run_check "rule unit tests present" test "${#test_files[@]}" -gt 0
if [ "${#rule_files[@]}" -gt 0 ]; then
    run_check "promtool check rules ${rule_files[*]}" promtool check rules "${rule_files[@]}"
fi
if [ "${#test_files[@]}" -gt 0 ]; then
    run_check "promtool test rules ${test_files[*]}" promtool test rules "${test_files[@]}"
fi

# Every alert: severity label, summary/description/runbook_url annotations, a runbook section for its
# anchor, and unit tests where it fires and where it does not. Every recording rule: a unit test.
check_cross_references() {
    python3 - "${rule_files[@]}" -- "${test_files[@]}" <<'PY'
import re, sys

args = sys.argv[1:]
split = args.index("--")
rule_files, test_files = args[:split], args[split + 1:]
problems = []

def slug(heading):  # GitHub's heading anchors
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")

runbook = open("alerts/runbook.md", encoding="utf-8").read()
anchors = {slug(h) for h in re.findall(r"^#{1,6}\s+(.+)$", runbook, re.M)}

alerts, records = {}, []
for path in rule_files:
    text = open(path, encoding="utf-8").read()
    records += re.findall(r"^\s*-\s*record:\s*(\S+)", text, re.M)
    blocks = re.split(r"^\s*-\s*(?=alert:|record:)", text, flags=re.M)
    for block in blocks:
        m = re.match(r"alert:\s*(\S+)", block)
        if not m:
            continue
        name = m.group(1)
        if name in alerts:
            problems.append(f"{name}: defined twice")
        alerts[name] = block
        for key in ("severity", "summary", "description", "runbook_url"):
            if not re.search(rf"^\s*{key}:\s*\S", block, re.M):
                problems.append(f"{name}: no {key}")
        url = re.search(r"runbook_url:\s*\"?([^\"\s]+)", block)
        if url:
            base, _, anchor = url.group(1).partition("#")
            if not base.endswith("/alerts/runbook.md"):
                problems.append(f"{name}: runbook_url {url.group(1)} does not point at alerts/runbook.md")
            if anchor != name.lower() or anchor not in anchors:
                problems.append(f"{name}: runbook_url anchor #{anchor} has no '## {name}' section in alerts/runbook.md")

firing, quiet, tested_exprs = set(), set(), ""
for path in test_files:
    text = open(path, encoding="utf-8").read()
    tested_exprs += " ".join(re.findall(r"^\s*-?\s*expr:\s*(.+)$", text, re.M)) + " "
    for case in re.split(r"^\s*-\s*eval_time:", text, flags=re.M)[1:]:
        name = re.search(r"^\s*alertname:\s*(\S+)", case, re.M)
        exp = re.search(r"^\s*exp_alerts:\s*(\[\])?", case, re.M)
        if not name or not exp:
            continue
        (quiet if exp.group(1) else firing).add(name.group(1))

for name in sorted(alerts):
    if name not in firing:
        problems.append(f"{name}: no unit test where it fires")
    if name not in quiet:
        problems.append(f"{name}: no unit test where it must not fire (exp_alerts: [])")
for name in sorted(set(firing | quiet) - set(alerts)):
    problems.append(f"tests refer to unknown alert {name}")
for name in records:
    if not re.search(rf"(?<![\w:]){re.escape(name)}(?![\w:])", tested_exprs):
        problems.append(f"recording rule {name}: no promql_expr_test")

for problem in problems:
    print(f"    {problem}")
print(f"    {len(alerts)} alerts, {len(records)} recording rules, {len(problems)} problems")
sys.exit(1 if problems else 0)
PY
}
run_check "alerts have labels, annotations, runbook sections and tests" check_cross_references

run_check "dashboards (scripts/check_dashboards.py)" python3 scripts/check_dashboards.py
run_check "e2e harness syntax (bash -n, py_compile)" \
    bash -c 'bash -n scripts/e2e.sh && python3 -c "import ast, sys; [ast.parse(open(f).read(), f) for f in sys.argv[1:]]" scripts/webhook_receiver.py scripts/check_dashboards.py'

echo
if [ "$failed" -gt 0 ]; then
    printf 'failed: %s\n' "${failures[@]}"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
