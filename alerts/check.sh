#!/usr/bin/env bash
# Checks of the alert and recording rules: promtool check rules; the promtool unit tests are up to date with their
# scenarios (alerts/tests/render_tests.py --check) and pass at a 15 s and a 60 s scrape interval; every alert has
# its runbook section and tests where it fires and where it does not (alerts/tests/check_references.py).
# Needs promtool (Debian package prometheus) and the kit's Python (e2e/python.sh).
# Usage: alerts/check.sh        Prints "N passed, M failed"; exits 1 when any check failed.
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
python="$here/../e2e/python.sh"
cd "$here" || exit 2

passed=0
failed=0
run_check() { # description, command...
    local description="$1"
    shift
    echo "==> $description"
    if "$@"; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        echo "FAILED: $description"
    fi
}

if ! command -v promtool >/dev/null 2>&1; then
    echo "promtool not found: install the Debian package prometheus (scripts/install-deps.sh test)" >&2
    echo "0 passed, 1 failed"
    exit 1
fi

run_check "promtool check rules" promtool check rules recording-rules.yml alerting-rules.yml
run_check "unit tests up to date with their scenarios" "$python" tests/render_tests.py --check
run_check "promtool test rules (15 s and 60 s scrape intervals)" \
    promtool test rules tests/scrape-15s.test.yml tests/scrape-60s.test.yml
run_check "alerts, runbook and tests reference each other" "$python" tests/check_references.py

echo "alerts: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
