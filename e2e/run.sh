#!/usr/bin/env bash
# The end-to-end runs of the operations kit, one after the other: the alert delivered through Alertmanager and
# resolved (e2e/alerts_e2e.py, about 3 minutes), then the dashboard's scale proof (e2e/scale_proof.py, about a
# minute). Each starts its own demos, Prometheus and Alertmanager on loopback ports and stops every process.
# Usage: BREAKER_DEMO=.build/debug/breaker-demo SCALE_PROOF_DEMO=.build/release/breaker-demo e2e/run.sh
# (SCALE_PROOF_DEMO defaults to BREAKER_DEMO). Prints "N passed, M failed" for each run and overall.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here/.." || exit 2
passed=0
failed=0
demo="${BREAKER_DEMO:-.build/debug/breaker-demo}"
# The scale proof measures Prometheus, not the demo: a release build renders the 2 x 1,003 breakers in milliseconds,
# where a debug build on busy cores can take longer than the exporter's 5 s render timeout.
scale_demo="${SCALE_PROOF_DEMO:-$demo}"
for run in "alerts_e2e.py $demo" "scale_proof.py $scale_demo"; do
    read -r script binary <<<"$run"
    # timeout(1) bounds a run that hangs anyway; each run bounds its own waits well below it.
    if timeout --kill-after=30 420 "$here/python.sh" "$here/$script" --demo "$binary"; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
    fi
done
echo "e2e runs: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
