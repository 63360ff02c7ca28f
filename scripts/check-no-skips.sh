#!/usr/bin/env bash
# Fails when a `swift test` run skipped a test: on this machine `make test` installs every tool the tests need
# (scripts/install-deps.sh), so a skip means a tool went missing and a test silently stopped running. Reads the
# test output (Swift Testing prints `Test … skipped: "<reason>"`; XCTest `Test Case '…' skipped`) from FILE, or
# from standard input.
#
# Usage: swift test … 2>&1 | tee OUTPUT; scripts/check-no-skips.sh OUTPUT
set -euo pipefail

output=${1:-/dev/stdin}
skipped=$(grep -E '(^|[^[:alnum:]])Test .* skipped|Test Case .* skipped' "$output" || true)
if [[ -n $skipped ]]; then
    echo "error: tests were skipped; make test runs every test (install what they name):" >&2
    printf '%s\n' "$skipped" >&2
    exit 1
fi
if ! grep -Eq 'Test run with [0-9]+ tests? .*passed' "$output"; then
    echo "error: no passing Swift Testing run found in $output" >&2
    exit 1
fi
echo "no test skipped"
