#!/usr/bin/env bash
# The end-to-end runs of the operations kit, one after the other: the alert delivered through Alertmanager and
# resolved (e2e/alerts_e2e.py, about 3 minutes), then the dashboard's scale proof (e2e/scale_proof.py, about a
# minute). Each starts its own demos, Prometheus and Alertmanager on loopback ports and stops every process.
# Usage: BREAKER_DEMO=.build/debug/breaker-demo e2e/run.sh       Prints "N passed, M failed" for each run and overall.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here/.." || exit 2
passed=0
failed=0
for script in alerts_e2e.py scale_proof.py; do
    # timeout(1) bounds a run that hangs anyway; each run bounds its own waits well below it.
    if timeout --kill-after=30 420 "$here/python.sh" "$here/$script"; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
    fi
done
echo "e2e runs: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
