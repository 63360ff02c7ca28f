#!/usr/bin/env bash
# Runs the unit tests N times while two busy loops hold both cores, as on a loaded CI machine, and reports every
# failure. Not part of `make test`; run it before you stop and quote the result.
#
# Usage: scripts/flake-check.sh [N]        (default 10)
# Environment: FLAKE_FILTER to pass `--filter` to swift test; FLAKE_LOG_DIR for the logs (default
# .build/flake-check). Exits non-zero when any run failed.
set -uo pipefail

runs="${1:-10}"
case "$runs" in '' | *[!0-9]*) echo "usage: $0 [N]" >&2; exit 2 ;; esac
cd "$(dirname "$0")/.." || exit 2
logs="${FLAKE_LOG_DIR:-.build/flake-check}"
mkdir -p "$logs"

swift build --build-tests --traits HummingbirdSupport,AsyncHTTPClientSupport -Xswiftc -warnings-as-errors >"$logs/build.log" 2>&1 || { echo "build failed: see $logs/build.log" >&2; exit 2; }

# Two busy loops, one per core, for as long as the runs last; bounded and stopped on exit whatever happens.
busy=()
for _ in 1 2; do
    timeout 7200 sh -c 'while :; do :; done' &
    busy+=($!)
done
trap 'kill "${busy[@]}" 2>/dev/null; wait 2>/dev/null' EXIT

filter=()
[ -n "${FLAKE_FILTER:-}" ] && filter=(--filter "$FLAKE_FILTER")
failed=0
for run in $(seq 1 "$runs"); do
    log="$logs/run-$run.log"
    started=$SECONDS
    if swift test --skip-build --traits HummingbirdSupport,AsyncHTTPClientSupport -Xswiftc -warnings-as-errors "${filter[@]}" >"$log" 2>&1; then
        echo "run $run/$runs: passed in $((SECONDS - started)) s"
    else
        failed=$((failed + 1))
        echo "run $run/$runs: FAILED in $((SECONDS - started)) s ($log)"
        grep -E '✘|error:|Fatal error|Crash' "$log" | grep -v 'started\.$' | head -20 | sed 's/^/    /'
    fi
done
echo "flake-check: $((runs - failed)) of $runs runs passed with both cores busy"
[ "$failed" -eq 0 ]
