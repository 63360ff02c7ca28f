#!/usr/bin/env bash
# The copy floor (issue 23): how close a scrape of the demo at 1,000 breakers comes to nginx serving the same body
# as a static file, on loopback, measured in the same run. For each format (text 0.0.4, OpenMetrics 1.0,
# protobuf), one body is fetched from the demo and written to a file that nginx serves with the same content type;
# then one wrk client (-t1 -c1) asks each in turn, and the demo's p50 and p99 are divided by nginx's.
#
# Asserts the budget: the demo's one-client p99 within 1.3x of nginx's, in every format. Prints a table; exits 1
# if the budget is missed. Outside `make test`.
#
# Usage: scripts/bench-floor.sh [DEMO]   (default .build/release/breaker-demo; build it with
#        swift build -c release --product breaker-demo). Needs wrk and nginx (apt-get install wrk nginx-light).
#        Environment: BENCH_DURATION (wrk, default 10s), BENCH_BUDGET (default 1.3), BENCH_BREAKERS (default 1000;
#        fewer to try the script itself against a debug build).
set -euo pipefail

demo=${1:-.build/release/breaker-demo}
duration=${BENCH_DURATION:-10s}
budget=${BENCH_BUDGET:-1.3}
breakers=${BENCH_BREAKERS:-1000}
[[ -x $demo ]] || { echo "error: $demo not found (swift build -c release --product breaker-demo)" >&2; exit 2; }
command -v wrk >/dev/null || { echo "error: wrk not found (apt-get install wrk)" >&2; exit 2; }
nginx=$(command -v nginx || echo /usr/sbin/nginx)
[[ -x $nginx ]] || { echo "error: nginx not found (apt-get install nginx-light)" >&2; exit 2; }

declare -A accept=(
    [text]="text/plain;version=0.0.4;q=1,*/*;q=0.1"
    [openmetrics]="application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"
    [protobuf]="application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited,application/openmetrics-text;version=1.0.0;q=0.8,text/plain;version=0.0.4;q=0.2,*/*;q=0.1"
)
work=$(mktemp -d)
chmod 755 "$work"  # nginx's worker may run as another user
demo_pid=""
nginx_started=""
cleanup() {
    [[ -n $demo_pid ]] && kill "$demo_pid" 2>/dev/null && wait "$demo_pid" 2>/dev/null
    [[ -n $nginx_started && -f $work/nginx.pid ]] && kill "$(cat "$work/nginx.pid")" 2>/dev/null
    rm -rf "$work"
    true
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
demo_port=$(free_port)
nginx_port=$(free_port)
demo_url="http://127.0.0.1:$demo_port/metrics"

# The demo registers 3 breakers of its own.
"$demo" --port "$demo_port" --quiet --extra-breakers $((breakers - 3)) >/dev/null 2>&1 &
demo_pid=$!
for _ in $(seq 1 100); do curl -sf -o /dev/null "$demo_url" && break; sleep 0.1; done
sleep 2  # some calls, so that histograms hold observations

# One body per format, served by nginx with the content type the demo sent (the full header, parameters and all).
locations=""
for format in text openmetrics protobuf; do
    headers=$work/$format.headers
    curl -sf -D "$headers" -H "Accept: ${accept[$format]}" -o "$work/$format.body" "$demo_url"
    type=$(tr -d '\r' <"$headers" | awk -F': ' 'tolower($1) == "content-type" { print $2 }')
    chmod 644 "$work/$format.body"
    locations+="        location = /$format { default_type \"$type\"; alias $work/$format.body; }"$'\n'
done
cat >"$work/nginx.conf" <<EOF
worker_processes 1;
daemon on;
pid $work/nginx.pid;
error_log $work/error.log;
events { worker_connections 64; }
http {
    access_log off;
    sendfile on;
    types { }
    client_body_temp_path $work;
    proxy_temp_path $work;
    fastcgi_temp_path $work;
    uwsgi_temp_path $work;
    scgi_temp_path $work;
    server {
        listen 127.0.0.1:$nginx_port;
$locations    }
}
EOF
"$nginx" -c "$work/nginx.conf" -p "$work" -e "$work/error.log"
nginx_started=1
for _ in $(seq 1 50); do curl -sf -o /dev/null "http://127.0.0.1:$nginx_port/text" && break; sleep 0.1; done

# wrk prints us, ms or s: microseconds.
micros() { awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) print n; else if (v ~ /ms$/) print n * 1000; else print n * 1000000 }'; }
# "p50 p99" of one wrk client.
latency() { wrk -t1 -c1 -d"$duration" --latency "$@" | awk '$1 == "50%" { p50 = $2 } $1 == "99%" { p99 = $2 } END { print p50, p99 }'; }

status=0
printf '%-12s %10s %11s %11s %11s %11s %8s %8s\n' format bytes nginx-p50 nginx-p99 demo-p50 demo-p99 p50-ratio p99-ratio
for format in text openmetrics protobuf; do
    bytes=$(wc -c <"$work/$format.body")
    read -r floor50 floor99 <<<"$(latency "http://127.0.0.1:$nginx_port/$format")"
    read -r ours50 ours99 <<<"$(latency -H "Accept: ${accept[$format]}" "$demo_url")"
    ratio50=$(awk -v a="$(micros "$ours50")" -v b="$(micros "$floor50")" 'BEGIN { printf "%.2f", a / b }')
    ratio=$(awk -v a="$(micros "$ours99")" -v b="$(micros "$floor99")" 'BEGIN { printf "%.2f", a / b }')
    printf '%-12s %10s %11s %11s %11s %11s %7sx %7sx\n' "$format" "$bytes" "$floor50" "$floor99" "$ours50" "$ours99" \
        "$ratio50" "$ratio"
    if awk -v r="$ratio" -v b="$budget" 'BEGIN { exit !(r > b) }'; then
        echo "  budget missed: p99 ${ratio}x > ${budget}x of nginx ($format)"
        status=1
    fi
done
exit $status
