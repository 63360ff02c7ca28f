#!/usr/bin/env bash
# Load test for a metrics endpoint (MetricsServer or any Prometheus exporter) with wrk, on loopback.
#
# Runs four scenarios against URL and prints one compact table:
#   plain / gzip  x  throughput (wrk -t2 -c50) / one client (wrk -t1 -c1)
# with requests per second, transfer rate, response size, p50/p99 latency and errors.
# With --pid, also reports the peak resident memory of the server process: the highest VmRSS sampled during the
# 50-connection runs, and VmHWM (the kernel's lifetime peak) from /proc/PID/status.
set -euo pipefail

usage() {
    cat <<'USAGE'
Usage: scripts/load-test.sh [options] URL

  URL                    the metrics endpoint, e.g. http://127.0.0.1:9464/metrics

Options:
  -d, --duration D       duration of each run (wrk syntax, default 10s)
  -c, --connections N    connections for the throughput runs (default 50)
  -t, --threads N        wrk threads for the throughput runs (default 2)
  -p, --pid PID          server process id: report its peak RSS (VmHWM, and the highest VmRSS seen)
  -H, --header H         extra request header, repeatable (e.g. -H "Authorization: Basic ...")
      --timeout D        wrk socket timeout (default 5s)
  -h, --help             this help

Example:
  scripts/load-test.sh --pid "$(pgrep -n breaker-demo)" http://127.0.0.1:9464/metrics
USAGE
}

duration=10s
connections=50
threads=2
pid=""
timeout=5s
headers=()
url=""

while [[ $# -gt 0 ]]; do
    case "$1" in
        -d|--duration) duration="${2:?missing value for $1}"; shift 2 ;;
        -c|--connections) connections="${2:?missing value for $1}"; shift 2 ;;
        -t|--threads) threads="${2:?missing value for $1}"; shift 2 ;;
        -p|--pid) pid="${2:?missing value for $1}"; shift 2 ;;
        -H|--header) headers+=("${2:?missing value for $1}"); shift 2 ;;
        --timeout) timeout="${2:?missing value for $1}"; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        -*) echo "unknown option: $1" >&2; usage >&2; exit 2 ;;
        *) if [[ -n "$url" ]]; then echo "only one URL, please" >&2; exit 2; fi; url="$1"; shift ;;
    esac
done

if [[ -z "$url" ]]; then usage >&2; exit 2; fi
for tool in wrk curl awk; do
    command -v "$tool" >/dev/null || { echo "load-test: '$tool' is not installed" >&2; exit 1; }
done
for number in "$connections" "$threads"; do
    [[ "$number" =~ ^[1-9][0-9]*$ ]] || { echo "load-test: '$number' is not a positive number" >&2; exit 2; }
done
if [[ -n "$pid" && ! -r "/proc/$pid/status" ]]; then
    echo "load-test: no process $pid (cannot read /proc/$pid/status)" >&2
    exit 1
fi
case "$url" in
    http://127.*|http://localhost*|http://\[::1\]*|https://127.*|https://localhost*|https://\[::1\]*) ;;
    *) echo "load-test: warning: $url is not a loopback address" >&2 ;;
esac

header_args=()
curl_headers=()
for header in "${headers[@]+"${headers[@]}"}"; do
    header_args+=(-H "$header")
    curl_headers+=(-H "$header")
done

# Fail early, and learn the response sizes.
status=$(curl -sk -o /dev/null -w '%{http_code}' --max-time 10 "${curl_headers[@]+"${curl_headers[@]}"}" "$url" || true)
if [[ "$status" != "200" ]]; then
    echo "load-test: GET $url answered '$status', expected 200" >&2
    exit 1
fi
plain_size=$(curl -sk -o /dev/null -w '%{size_download}' --max-time 10 "${curl_headers[@]+"${curl_headers[@]}"}" "$url")
gzip_size=$(curl -sk -o /dev/null -w '%{size_download}' --max-time 10 -H 'Accept-Encoding: gzip' \
    "${curl_headers[@]+"${curl_headers[@]}"}" "$url")

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" 2>/dev/null || echo 0; }
hwm_kb() { awk '/^VmHWM:/ { print $2 }' "/proc/$pid/status" 2>/dev/null || echo 0; }

peak_rss=0
sampler_pid=""
sample_file=""
start_sampler() {
    [[ -z "$pid" ]] && return
    sample_file=$(mktemp)
    ( while kill -0 "$pid" 2>/dev/null; do rss_kb >>"$sample_file"; sleep 0.1; done ) &
    sampler_pid=$!
}
stop_sampler() {
    [[ -z "$sampler_pid" ]] && return
    kill "$sampler_pid" 2>/dev/null || true
    wait "$sampler_pid" 2>/dev/null || true
    local seen
    seen=$(sort -n "$sample_file" | tail -n 1)
    rm -f "$sample_file"
    sampler_pid=""
    if [[ -n "$seen" && "$seen" -gt "$peak_rss" ]]; then peak_rss=$seen; fi
}
trap 'stop_sampler' EXIT

# run NAME THREADS CONNECTIONS [extra wrk args...] -> one table row
rows=()
run() {
    local name=$1 wrk_threads=$2 wrk_connections=$3
    shift 3
    local output
    if ! output=$(wrk -t"$wrk_threads" -c"$wrk_connections" -d"$duration" --timeout "$timeout" --latency \
        "${header_args[@]+"${header_args[@]}"}" "$@" "$url" 2>&1); then
        echo "load-test: wrk failed for '$name':" >&2
        echo "$output" >&2
        exit 1
    fi
    rows+=("$(awk -v name="$name" -v conns="$wrk_connections" '
        /Requests\/sec:/ { rps = $2 }
        /Transfer\/sec:/ { tps = $2 }
        /^ +50%/ { p50 = $2 }
        /^ +99%/ { p99 = $2 }
        /Non-2xx or 3xx responses:/ { errors += $NF }
        /Socket errors:/ {
            for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+,?$/) { gsub(",", "", $i); errors += $i }
        }
        END { printf "%-22s %6s %12s %10s %10s %10s %8d", name, conns, rps, tps, p50, p99, errors }
    ' <<<"$output")")
}

echo "load-test: $url  (${duration} per run; response ${plain_size} B plain, ${gzip_size} B gzip)"
[[ -n "$pid" ]] && echo "load-test: server pid $pid, VmRSS before: $(rss_kb) kB"

start_sampler
run "plain throughput" "$threads" "$connections"
run "gzip throughput" "$threads" "$connections" -H 'Accept-Encoding: gzip'
stop_sampler
run "plain one client" 1 1
run "gzip one client" 1 1 -H 'Accept-Encoding: gzip'

printf '\n%-22s %6s %12s %10s %10s %10s %8s\n' "scenario" "conns" "req/s" "transfer/s" "p50" "p99" "errors"
printf '%s\n' "${rows[@]}"
if [[ -n "$pid" ]]; then
    printf '\npeak RSS under %s connections: %s kB (sampled VmRSS); VmHWM (lifetime peak): %s kB\n' \
        "$connections" "$peak_rss" "$(hwm_kb)"
fi
