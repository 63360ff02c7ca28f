#!/usr/bin/env bash
# Our exporter against its peer, side by side in one run on this machine: the release demo (PrometheusMonitor served
# by the libmicrohttpd exporter) and Benchmarks/Peers' hummingbird-peer (the same breaker core reporting through
# swift-metrics into swift-prometheus, served by Hummingbird 2), each alone on the machine while wrk drives it.
#   10 breakers, wrk -t2 -c50: requests per second (budget: ours >= 4x the peer)
#   1,000 breakers, one client (wrk -t1 -c1): p50 and p99
# For each row: the series and bytes of one scrape, and the server's CPU time per series served (utime + stime from
# /proc over the run, divided by requests x series). Outside `make test`: the peer pulls Hummingbird and NIO.
# Usage: scripts/bench-peers.sh [--duration 10s] [--skip-build]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
duration=10s
build=1
while [[ $# -gt 0 ]]; do
    case "$1" in
        --duration) duration="${2:?missing value for $1}"; shift 2 ;;
        --skip-build) build=0; shift ;;
        *) echo "usage: scripts/bench-peers.sh [--duration 10s] [--skip-build]" >&2; exit 2 ;;
    esac
done
for tool in wrk curl awk python3; do
    command -v "$tool" >/dev/null || { echo "bench-peers: '$tool' is not installed" >&2; exit 1; }
done

traits="${TRAITS:---traits HummingbirdSupport,AsyncHTTPClientSupport}"
if [[ "$build" == 1 ]]; then
    # shellcheck disable=SC2086 # the traits are two words on purpose
    (cd "$root" && swift build $traits -c release --product breaker-demo)
    (cd "$root/Benchmarks/Peers" && swift build -c release --product hummingbird-peer)
fi
ours="$root/.build/release/breaker-demo"
peer="$root/Benchmarks/Peers/.build/release/hummingbird-peer"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
server_pid=""
stop_server() {
    if [[ -n "$server_pid" ]]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
        server_pid=""
    fi
}
trap stop_server EXIT

# start NAME BREAKERS PORT: the server in the background, healthy, with 3 s of its own traffic behind it
start() {
    local name=$1 breakers=$2 port=$3
    case "$name" in
        ours)
            # four demo breakers (catalog, recommendations, payments, search), no partners group, the rest idle
            "$ours" --port "$port" --quiet --rate 5 --partners 0 --extra-breakers "$((breakers - 4))" \
                --outage-offset 1 --outage-duration 5 --per-ip-connection-limit 64 >/dev/null 2>&1 &
            ;;
        peer) "$peer" --port "$port" --breakers "$breakers" --duration 600 >/dev/null 2>&1 & ;;
    esac
    server_pid=$!
    for _ in $(seq 1 100); do
        curl -fsS "http://127.0.0.1:$port/-/healthy" >/dev/null 2>&1 && break
        sleep 0.1
    done
    curl -fsS "http://127.0.0.1:$port/-/healthy" >/dev/null
    sleep 3
}

# measure NAME BREAKERS THREADS CONNECTIONS: one table row
measure() {
    local name=$1 breakers=$2 threads=$3 connections=$4 port body series bytes before after output
    port="$(free_port)"
    start "$name" "$breakers" "$port"
    body="$(curl -fsS "http://127.0.0.1:$port/metrics")"
    series="$(grep -vc '^#' <<<"$body" || true)"
    bytes="$(printf '%s' "$body" | wc -c)"
    before="$(cpu_ticks "$server_pid")"
    output="$(wrk -t"$threads" -c"$connections" -d"$duration" --timeout 10s --latency \
        "http://127.0.0.1:$port/metrics" 2>&1)"
    after="$(cpu_ticks "$server_pid")"
    stop_server
    awk -v name="$name" -v breakers="$breakers" -v conns="$connections" -v series="$series" -v bytes="$bytes" \
        -v ticks="$((after - before))" -v hz="$(getconf CLK_TCK)" '
        function ms(text) {
            if (text ~ /us$/) return substr(text, 1, length(text) - 2) / 1000
            if (text ~ /ms$/) return substr(text, 1, length(text) - 2) + 0
            if (text ~ /s$/) return substr(text, 1, length(text) - 1) * 1000
            return text + 0
        }
        /Requests\/sec:/ { rps = $2 }
        /requests in/ { requests = $1 }
        /^ +50%/ { p50 = ms($2) }
        /^ +99%/ { p99 = ms($2) }
        /Non-2xx or 3xx responses:/ { errors += $NF }
        /Socket errors:/ { for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+,?$/) { gsub(",", "", $i); errors += $i } }
        END {
            per_series = requests > 0 && series > 0 ? ticks / hz * 1e9 / (requests * series) : 0
            printf "%-5s %9d %5d %9d %10d %10.0f %9.2f %9.2f %8.0f %6d\n",
                name, breakers, conns, series, bytes, rps, p50, p99, per_series, errors
        }' <<<"$output"
}

echo "bench-peers: ours = $ours, peer = $peer (Hummingbird + swift-prometheus), ${duration} per row"
printf "%-5s %9s %5s %9s %10s %10s %9s %9s %8s %6s\n" \
    server breakers conns series bytes "req/s" "p50 ms" "p99 ms" "ns/series" errors
rows="$(
    measure ours 10 2 50
    measure peer 10 2 50
    measure ours 1000 1 1
    measure peer 1000 1 1
)"
echo "$rows"
awk '
    $1 == "ours" && $2 == 10 { ours_rps = $6 } $1 == "peer" && $2 == 10 { peer_rps = $6 }
    $1 == "ours" && $2 == 1000 { ours_p99 = $8 } $1 == "peer" && $2 == 1000 { peer_p99 = $8 }
    END {
        if (peer_rps > 0) printf "10 breakers, 50 connections: ours %.1fx the peer'"'"'s req/s (budget >= 4x)\n", ours_rps / peer_rps
        if (ours_p99 > 0) printf "1,000 breakers, one client: the peer'"'"'s p99 is %.1fx ours\n", peer_p99 / ours_p99
    }' <<<"$rows"
