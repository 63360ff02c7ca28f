#!/usr/bin/env bash
# The fleet runs on two tiers, one after the other: edge Prometheus servers of clusters a and b remote-writing to a
# global Prometheus that evaluates the kit's rules and pages through Alertmanager (e2e/fleet/tiered_e2e.py, about
# 3 minutes), then what remote write costs at 1,000 breakers per instance (e2e/fleet/remote_write_cost.py, about a
# minute and a half). Each starts its own processes on loopback ports and stops every one of them.
# Usage: BREAKER_DEMO=.build/debug/breaker-demo RELEASE_DEMO=.build/release/breaker-demo e2e/fleet/run.sh
# (RELEASE_DEMO defaults to BREAKER_DEMO; the cost run wants a release build, which renders 97,000 series in
# milliseconds). Prints "N passed, M failed" per run and overall.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
demo="${BREAKER_DEMO:-.build/debug/breaker-demo}"
exec "$here/../run.sh" fleet "fleet/tiered_e2e.py:$demo" "fleet/remote_write_cost.py:${RELEASE_DEMO:-$demo}"
