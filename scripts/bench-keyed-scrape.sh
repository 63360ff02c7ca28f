#!/usr/bin/env bash
# A scrape of 10,000 keyed breakers through the exporter (issues 22 and 23): one wrk client (-t1 -c1) against
# scripts/render-profile's keyed-server (one group of KEYS keys, a PrometheusMonitor recording durations, served by
# MetricsServer, the keys called in turn meanwhile), in text by default. Prints p50 and p99 and the body's size;
# exits 1 if the p99 misses the budget (30 ms, the keyed issue's). Outside `make test`.
#
# Usage: scripts/bench-keyed-scrape.sh [ROOT]   (ROOT: the checkout whose code is measured; default this one)
#        Environment: BENCH_KEYS (10000), BENCH_CALLS (calls per second meanwhile, 1000), BENCH_DURATION (wrk,
#        10s), BENCH_FORMATS (text; or "text openmetrics protobuf"), BENCH_BUDGET_MS (30).
#        Needs wrk (apt-get install wrk).
set -euo pipefail

root=${1:-$(cd "$(dirname "$0")/.." && pwd)}
keys=${BENCH_KEYS:-10000}
calls=${BENCH_CALLS:-1000}
duration=${BENCH_DURATION:-10s}
formats=${BENCH_FORMATS:-text}
budget=${BENCH_BUDGET_MS:-30}
command -v wrk >/dev/null || { echo "error: wrk not found (apt-get install wrk)" >&2; exit 2; }

(cd "$root/scripts/render-profile" && swift build -c release --product keyed-server >/dev/null)
server=$root/scripts/render-profile/.build/release/keyed-server

declare -A accept=(
    [text]="text/plain;version=0.0.4;q=1,*/*;q=0.1"
    [openmetrics]="application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"
    [protobuf]="application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited,text/plain;version=0.0.4;q=0.2,*/*;q=0.1"
)
work=$(mktemp -d)
pid=""
cleanup() {
    [[ -n $pid ]] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    rm -rf "$work"
    true
}
trap cleanup EXIT

"$server" 0 "$keys" "$calls" >"$work/out" 2>"$work/err" &
pid=$!
port=""
for _ in $(seq 1 600); do
    port=$(awk '$1 == "port" { print $2 }' "$work/out")
    [[ -n $port ]] && break
    kill -0 "$pid" 2>/dev/null || { cat "$work/err" >&2; exit 1; }
    sleep 0.1
done
[[ -n $port ]] || { echo "error: keyed-server did not start" >&2; exit 1; }
url="http://127.0.0.1:$port/metrics"

micros() { awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) print n; else if (v ~ /ms$/) print n * 1000; else print n * 1000000 }'; }
status=0
printf '%-12s %8s %12s %10s %10s\n' format keys bytes p50 p99
for format in $formats; do
    bytes=$(curl -sf -H "Accept: ${accept[$format]}" "$url" | wc -c)
    latency=$(wrk -t1 -c1 -d"$duration" --latency -H "Accept: ${accept[$format]}" "$url")
    p50=$(awk '$1 == "50%" { print $2 }' <<<"$latency")
    p99=$(awk '$1 == "99%" { print $2 }' <<<"$latency")
    printf '%-12s %8s %12s %10s %10s\n' "$format" "$keys" "$bytes" "$p50" "$p99"
    if awk -v p="$(micros "$p99")" -v b="$budget" 'BEGIN { exit !(p > b * 1000) }'; then
        echo "  budget missed: p99 $p99 > $budget ms ($format)"
        status=1
    fi
done
exit $status
