#!/usr/bin/env bash
# The end-to-end runs of the operations kit, one after the other: the alert delivered through Alertmanager and
# resolved (e2e/alerts_e2e.py, about 3 minutes), the partners group of keyed breakers under an eviction attack
# (e2e/keyed_e2e.py, about 30 seconds), then the dashboard's scale proof (e2e/scale_proof.py, about a
# minute). Each starts its own demos, Prometheus and Alertmanager on loopback ports and stops every process.
# Usage: BREAKER_DEMO=.build/debug/breaker-demo SCALE_PROOF_DEMO=.build/release/breaker-demo e2e/run.sh
# (SCALE_PROOF_DEMO defaults to BREAKER_DEMO). Prints "N passed, M failed" for each run and overall.
# Other runs: e2e/run.sh NAME SCRIPT:DEMO... runs each e2e/SCRIPT with --demo DEMO the same way (e2e/fleet/run.sh).
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here/.." || exit 2
demo="${BREAKER_DEMO:-.build/debug/breaker-demo}"
# The scale proof measures Prometheus, not the demo: a release build renders the 2 x 1,004 breakers in milliseconds,
# where a debug build on busy cores can take longer than the exporter's 5 s render timeout.
scale_demo="${SCALE_PROOF_DEMO:-$demo}"
name="e2e"
runs=("alerts_e2e.py:$demo" "keyed_e2e.py:$demo" "scale_proof.py:$scale_demo")
if [ $# -gt 0 ]; then
    name="$1"
    shift
    runs=("$@")
fi
passed=0
failed=0
for run in "${runs[@]}"; do
    # timeout(1) bounds a run that hangs anyway; each run bounds its own waits well below it.
    if timeout --kill-after=30 420 "$here/python.sh" "$here/${run%%:*}" --demo "${run#*:}"; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
    fi
done
echo "$name runs: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
