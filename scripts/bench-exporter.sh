#!/usr/bin/env bash
# Exporter load test: the demo service with 10 and with 1,000 breakers, driven by scripts/load-test.sh (wrk) on
# loopback, plain and gzip, with the server's peak memory. Usage: scripts/bench-exporter.sh path/to/breaker-demo
set -euo pipefail
demo="${1:-.build/release/breaker-demo}"
here="$(cd "$(dirname "$0")" && pwd)"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

run_case() {
    local breakers="$1" port pid
    port="$(free_port)"
    # 50 wrk connections open at once from one address, idle until each sends its first request: raise the bound
    # on idle connections per address (default 32, beyond which the oldest idle one is evicted) above that.
    "$demo" --port "$port" --quiet --rate 5 --extra-breakers "$((breakers - 3))" --outage-offset 1 --outage-duration 5 \
        --per-ip-connection-limit 64 >/dev/null 2>&1 &
    pid=$!
    trap 'kill "$pid" 2>/dev/null || true' RETURN
    for _ in $(seq 1 100); do
        curl -fsS "http://127.0.0.1:$port/-/healthy" >/dev/null 2>&1 && break
        sleep 0.1
    done
    sleep 3   # let every breaker see some traffic
    local body series bytes
    body="$(curl -fsS "http://127.0.0.1:$port/metrics")"
    series="$(grep -vc '^#' <<<"$body" || true)"
    bytes="$(wc -c <<<"$body")"
    echo "== $breakers breakers: $series series, $bytes bytes per scrape"
    "$here/load-test.sh" -d "${LOAD_DURATION:-10s}" -p "$pid" "http://127.0.0.1:$port/metrics"
    kill "$pid"
    wait "$pid" 2>/dev/null || true
}

run_case 10
run_case 1000
