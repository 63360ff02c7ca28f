#!/usr/bin/env bash
# The exporter under pressure (issue 15): the release demo with 1,000 breakers and default flags, attacked and
# loaded by the clients in scripts/pressure/ (Python, standard library only). Prints every figure with the command
# that measured it:
#   1. idle flood: 600 idle sockets from 20 addresses held; a scrape and /-/healthy from another address (< 1 s);
#      then 3,000 from 100 addresses, beyond the connection limit (2,048), re-opened as they are evicted;
#   2. half-closed requests: 16 concurrent on /metrics, and on the other routes (complete, then closed);
#   3. bursts: 5 bursts of 500 simultaneous scrapes from 25 addresses; peak RSS (< 250 MB), truncated bodies;
#   4. SIGTERM with a render stuck (the demo's hidden --hang-renders-after): time to exit (< grace 5 s + 1 s);
#   5. with --bench: scripts/bench-exporter.sh (wrk: 10 and 1,000 breakers), also for a --baseline demo if given.
#
# Not part of `make test`: it takes about three minutes with both cores loaded, and its figures are timings of this
# machine. `make pressure` runs it. Exits non-zero if a figure misses its bound.
#
# Usage: scripts/pressure-test.sh [--bench] [--baseline OLD_DEMO] [DEMO]    (DEMO: .build/release/breaker-demo)
set -euo pipefail

bench=false
baseline=""
demo=""
while [[ $# -gt 0 ]]; do
    case "$1" in
        --bench) bench=true; shift ;;
        --baseline) baseline="${2:?--baseline needs a demo executable}"; bench=true; shift 2 ;;
        -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
        *) demo="$1"; shift ;;
    esac
done
demo="${demo:-.build/release/breaker-demo}"
here="$(cd "$(dirname "$0")" && pwd)"
tools="$here/pressure"
[[ -x "$demo" ]] || { echo "pressure-test: no demo at $demo (swift build -c release --product breaker-demo)" >&2; exit 2; }
command -v python3 >/dev/null || { echo "pressure-test: python3 is needed" >&2; exit 2; }

# The tools import their helper module; keep Python's bytecode cache out of the source tree.
export PYTHONDONTWRITEBYTECODE=1

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

pid=""
port=""
# Starts the demo with 1,000 breakers and default exporter flags (plus any given), and waits until it answers.
start_demo() {
    port="$(free_port)"
    "$demo" --port "$port" --quiet --rate 5 --extra-breakers 997 "$@" >/dev/null 2>&1 &
    pid=$!
    for _ in $(seq 1 100); do
        curl -fsS -o /dev/null "http://127.0.0.1:$port/-/healthy" 2>/dev/null && return 0
        sleep 0.1
    done
    echo "pressure-test: the demo did not start" >&2
    return 1
}
stop_demo() {
    [[ -n "$pid" ]] || return 0
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    pid=""
}
trap stop_demo EXIT

failed=0
# Prints the command, runs it from the tools' folder (they import their helper module), and notes a failure.
measure() {
    echo
    echo "\$ $*"
    if ! (cd "$tools" && "$@"); then
        failed=$((failed + 1))
        echo "pressure-test: FAILED: $*"
    fi
}

echo "== 1. idle flood (release demo, 1,000 breakers, default flags)"
start_demo
measure python3 idle_flood.py --port "$port" --sockets 600 --addresses 20 --probes 5 --limit 1.0
measure python3 idle_flood.py --port "$port" --sockets 3000 --addresses 100 --probes 5 --limit 1.0
echo "idle connections evicted by the server: $(curl -fsS "http://127.0.0.1:$port/metrics" \
    | awk '/^metrics_exporter_evicted_connections_total / { print $2 }')"
stop_demo

echo
echo "== 2. half-closed requests"
start_demo
measure python3 half_closed.py --port "$port" --concurrent 16 /metrics /-/healthy /healthz / /no-such-page
stop_demo

echo
echo "== 3. bursts of 500 simultaneous scrapes from 25 addresses"
start_demo
measure python3 burst.py --port "$port" --pid "$pid" --clients 500 --bursts 5 --addresses 25 --limit-mb 250
echo "request timeouts counted by the server: $(curl -fsS "http://127.0.0.1:$port/metrics" \
    | awk '/^metrics_exporter_request_timeouts_total / { print $2 }')"
stop_demo

echo
echo "== 4. SIGTERM with a render stuck (grace period 5 s, the default)"
measure python3 stuck_shutdown.py --demo "$(cd "$(dirname "$demo")" && pwd)/$(basename "$demo")" \
    --port "$(free_port)" --grace 5

if $bench; then
    if [[ -n "$baseline" ]]; then
        echo
        echo "== 5a. bench-exporter, baseline: $baseline"
        echo "\$ scripts/bench-exporter.sh $baseline"
        "$here/bench-exporter.sh" "$baseline"
    fi
    echo
    echo "== 5b. bench-exporter: $demo"
    echo "\$ scripts/bench-exporter.sh $demo"
    "$here/bench-exporter.sh" "$demo"
fi

echo
if [[ "$failed" -eq 0 ]]; then echo "pressure-test: every figure within its bound"; else echo "pressure-test: $failed FAILED"; fi
[[ "$failed" -eq 0 ]]
