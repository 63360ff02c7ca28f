#!/usr/bin/env bash
# The wrong-password flood of issue 20, measured: a release breaker-demo with an admin user (bcrypt cost 10, and
# no scrape users, so /metrics and health are public), 64 clients sending wrong passwords for 30 s from 8 loopback
# addresses (e2e/hostile/auth_flood.py), while /-/healthy is probed every 50 ms, /metrics scraped every second, and
# the admin logs in for the first time and forces a breaker open and clears it every 2 s. Fails unless health p99
# stays under 100 ms, every scrape under 1 s, and every admin request succeeds. Not part of `make test` (a shorter
# flood is an assertion of e2e/hostile/run.sh).
# Usage: scripts/auth-flood.sh [path/to/breaker-demo]   (default .build/release/breaker-demo)
# Environment: FLOOD_CLIENTS (64), FLOOD_SECONDS (30), FLOOD_COST (10).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
demo="${1:-.build/release/breaker-demo}"
[ -x "$demo" ] || { echo "no demo at $demo (swift build -c release --product breaker-demo)" >&2; exit 2; }
work="$(mktemp -d)"
admin="$(htpasswd -nbB -C "${FLOOD_COST:-10}" alice alice-secret)"
"$demo" --port 0 --quiet --admin-user "$admin" --outage-offset 100000 --rate 20 >"$work/out" 2>"$work/log" &
pid=$!
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; rm -rf "$work"' EXIT
url=""
for _ in $(seq 1 100); do
    url="$(sed -n 's|.*url=\(http://[0-9.:]*\)/metrics.*|\1|p' "$work/log" | head -1)"
    [ -n "$url" ] && break
    sleep 0.1
done
[ -n "$url" ] || { cat "$work/log" >&2; exit 1; }
echo "auth-flood: $demo at $url, bcrypt cost ${FLOOD_COST:-10}; $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
command=(e2e/python.sh e2e/hostile/auth_flood.py "$url" alice alice-secret --clients "${FLOOD_CLIENTS:-64}"
    --seconds "${FLOOD_SECONDS:-30}" --healthy-p99-ms 100 --scrape-max-ms 1000)
echo "auth-flood: ${command[*]}"
"${command[@]}"
echo "auth-flood: $(curl -s "$url/metrics" | grep -E '^metrics_exporter_(failed|throttled)_logins_total' | tr '\n' ' ')"
