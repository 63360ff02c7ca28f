#!/usr/bin/env bash
# Load figures of the three exposition formats (issue 13), on loopback: the demo with 1,000 breakers, once with
# classic and once with native duration histograms; for each, one wrk client (-t1 -c1) per format, asking as
# Prometheus asks (text 0.0.4, OpenMetrics 1.0, protobuf), and the body size of each.
#
# Asserts the budgets: one-client p99 <= 10 ms in every format, and the protobuf body with native histograms at
# least 5 times smaller than the text body with classic histograms. Prints a table; exits 1 if a budget is missed.
#
# Usage: scripts/bench-formats.sh [DEMO]   (default .build/release/breaker-demo; build it with
#        swift build -c release --product breaker-demo). Environment: BENCH_DURATION (wrk, default 10s).
set -euo pipefail

demo=${1:-.build/release/breaker-demo}
duration=${BENCH_DURATION:-10s}
[[ -x $demo ]] || { echo "error: $demo not found (swift build -c release --product breaker-demo)" >&2; exit 2; }
command -v wrk >/dev/null || { echo "error: wrk not found (scripts/install-deps.sh bench)" >&2; exit 2; }

declare -A accept=(
    [text]="text/plain;version=0.0.4;q=1,*/*;q=0.1"
    [openmetrics]="application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"
    [protobuf]="application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited,application/openmetrics-text;version=1.0.0;q=0.8,text/plain;version=0.0.4;q=0.2,*/*;q=0.1"
)
pid=""
cleanup() { [[ -n $pid ]] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; true; }
trap cleanup EXIT

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
url="http://127.0.0.1:$port/metrics"
status=0
declare -A size
printf '%-8s %-12s %12s %12s %10s %10s\n' histogram format bytes content-type p50 p99
for histogram in classic native; do
    flags=(--port "$port" --quiet --extra-breakers 997)
    [[ $histogram == native ]] && flags+=(--native-histograms)
    "$demo" "${flags[@]}" >/dev/null 2>&1 &
    pid=$!
    for _ in $(seq 1 100); do curl -sf -o /dev/null "$url" && break; sleep 0.1; done
    sleep 2  # some calls, so that histograms hold observations
    for format in text openmetrics protobuf; do
        headers=$(mktemp)
        bytes=$(curl -sf -D "$headers" -H "Accept: ${accept[$format]}" "$url" | wc -c)
        type=$(tr -d '\r' <"$headers" | awk -F': ' 'tolower($1) == "content-type" { print $2 }' | cut -d';' -f1)
        rm -f "$headers"
        size[$histogram-$format]=$bytes
        report=$(wrk -t1 -c1 -d"$duration" --latency -H "Accept: ${accept[$format]}" "$url")
        p50=$(awk '$1 == "50%" { print $2 }' <<<"$report")
        p99=$(awk '$1 == "99%" { print $2 }' <<<"$report")
        printf '%-8s %-12s %12s %12s %10s %10s\n' "$histogram" "$format" "$bytes" "${type#application/}" "$p50" "$p99"
        # wrk prints us, ms or s: convert to microseconds and compare with 10 ms.
        micros=$(awk -v v="$p99" 'BEGIN { n = v + 0; if (v ~ /us$/) print n; else if (v ~ /ms$/) print n * 1000; else print n * 1000000 }')
        if awk -v m="$micros" 'BEGIN { exit !(m > 10000) }'; then
            echo "  budget missed: p99 $p99 > 10 ms ($histogram, $format)"
            status=1
        fi
    done
    cleanup
    pid=""
done
ratio=$(awk -v t="${size[classic-text]}" -v p="${size[native-protobuf]}" 'BEGIN { printf "%.2f", t / p }')
echo "text with classic histograms / protobuf with native histograms: ${size[classic-text]} / ${size[native-protobuf]} bytes = ${ratio}x (budget >= 5x)"
awk -v r="$ratio" 'BEGIN { exit !(r < 5) }' && { echo "  budget missed: ratio ${ratio}x < 5x"; status=1; }
exit $status
