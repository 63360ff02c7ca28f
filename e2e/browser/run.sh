#!/usr/bin/env bash
# Browser test of the live status page: the real breaker-demo (with 1,000 extra idle breakers) on loopback, one breaker
# and one key of the partners group forced open through the override API, then Debian's headless Chromium loads `/`,
# lets the page's script refresh from the JSON API (virtual time), and dumps the DOM; check_status_page.py asserts every
# breaker's state is shown (symbol and words), that the script refreshed, and the order; the groups' table shows
# partners and its key. A screenshot goes to .build/status-page.png.
# Then Chromium is driven over the DevTools protocol (check_admin_page.py): the admin page works under its strict
# Content-Security-Policy (its buttons, clicked, force a breaker open and clear it), a page of another origin cannot
# frame it, and an HTML form posted from another origin with the admin's credentials changes nothing.
#
# Usage: e2e/browser/run.sh   (BREAKER_DEMO=path, default .build/debug/breaker-demo; CHROMIUM=path)
# Environment: E2E_TIMEOUT (overall seconds, default 180), E2E_KEEP=1 keeps the work directory.
# Needs: chromium, htpasswd, curl, python3 (scripts/install-deps.sh test), websocket-client (e2e/requirements.txt,
# installed by e2e/python.sh). Prints "N passed, M failed".
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT" || exit 2
# shellcheck source=../operations/demo.sh
source e2e/operations/demo.sh
run_bounded "${E2E_TIMEOUT:-180}" "$ROOT/e2e/browser/run.sh" "$@"
HERE="e2e/browser"
BREAKER_DEMO="${BREAKER_DEMO:-.build/debug/breaker-demo}"
CHROMIUM="${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}"
WORK="$(mktemp -d)"
E2E_NAME="browser"
CDP_PID=""
cleanup() {
    [ -n "$CDP_PID" ] && kill "$CDP_PID" 2>/dev/null && wait "$CDP_PID" 2>/dev/null
    stop_demos
    if [ -n "${E2E_KEEP:-}" ] || [ "$failed" -ne 0 ]; then log "files kept in $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

[ -x "$BREAKER_DEMO" ] || { echo "no demo at $BREAKER_DEMO (swift build --product breaker-demo)" >&2; exit 2; }
[ -n "$CHROMIUM" ] || { echo "no chromium (scripts/install-deps.sh test)" >&2; exit 2; }
# Chromium refuses to run as root without --no-sandbox; a container has no user namespaces for its sandbox anyway.
CHROME_FLAGS=(--headless --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run --hide-scrollbars
    --user-data-dir="$WORK/chromium-profile")

started=$SECONDS
start_demo browser --admin-user "$(htpasswd -nbB alice alice-secret)" --extra-breakers 1000 \
    --outage-offset 100000 --flaky-failure-rate 0 --shadow-failure-rate 0 --rate 20 || { finish; exit 1; }
URL="$DEMO_URL"

check "force payments open through the API" test "$(curl -s -o /dev/null -w '%{http_code}' -u alice:alice-secret \
    -H 'Content-Type: application/json' -d '{"action":"force_open","reason":"browser test","ttl":"10m"}' \
    "$URL/api/v1/breakers/payments/override")" = 200
force_partner() {
    test "$(curl -s -o /dev/null -w '%{http_code}' -u alice:alice-secret -H 'Content-Type: application/json' \
        -d '{"action":"force_open","reason":"browser test","ttl":"10m"}' \
        "$URL/api/v1/groups/partners/keys/partner-02/override")" = 200
}
wait_until 30 "force the partners group's key partner-02 open through the API" force_partner
curl -s "$URL/" >"$WORK/page.html"
size=$(wc -c <"$WORK/page.html")
check "page at 1,004 breakers is under 1 MB ($size bytes)" test "$size" -lt 1000000
check "page has no external asset" bash -c "! grep -Eq '(src|href)=\"(https?:)?//' '$WORK/page.html'"

curl -s "$URL/api/v1/breakers" >"$WORK/before.json"
browser_started=$SECONDS
# 5 s of virtual time: the page's script refreshes every 2 s, so at least two refreshes land before the dump.
timeout 90 "$CHROMIUM" "${CHROME_FLAGS[@]}" --virtual-time-budget=5000 --dump-dom "$URL/" \
    >"$WORK/dom.html" 2>"$WORK/chromium.log"
check "chromium dumped the DOM" test -s "$WORK/dom.html"
curl -s "$URL/api/v1/breakers" >"$WORK/after.json"
check "the DOM shows every breaker's state after a refresh" python3 "$HERE/check_status_page.py" \
    "$WORK/dom.html" "$WORK/before.json" "$WORK/after.json"
check "payments is shown forced open" grep -q '<tr data-breaker="payments" data-state="forced_open">' "$WORK/dom.html"
# The groups' table is re-rendered by the same refresh that counts data-refreshes (checked above).
check "the partners group has its row" grep -q '<tr class="group" data-group="partners"><th scope="row">partners</th>' \
    "$WORK/dom.html"
check "partner-02 is shown forced open under its group" \
    grep -q '<tr class="key" data-group="partners" data-key="partner-02" data-state="forced_open">' "$WORK/dom.html"

mkdir -p .build
rm -f .build/status-page.png
timeout 90 "$CHROMIUM" "${CHROME_FLAGS[@]}" --virtual-time-budget=5000 --window-size=1400,1000 \
    --screenshot="$ROOT/.build/status-page.png" "$URL/" >>"$WORK/chromium.log" 2>&1
check "screenshot written to .build/status-page.png" test -s .build/status-page.png

# --- The admin page under its CSP, framing and a cross-site form, driven over the DevTools protocol.
check "clear the API's override of payments" test "$(curl -s -o /dev/null -w '%{http_code}' -u alice:alice-secret \
    -X DELETE -H 'Content-Type: application/json' "$URL/api/v1/breakers/payments/override")" = 200
"$CHROMIUM" "${CHROME_FLAGS[@]/--user-data-dir=*/--user-data-dir=$WORK/cdp-profile}" --remote-debugging-port=0 \
    about:blank >"$WORK/cdp-chromium.log" 2>&1 &
CDP_PID=$!
check "admin page: its buttons work under its CSP; framing and a cross-site form post are refused" \
    timeout 150 e2e/python.sh "$HERE/check_admin_page.py" "$WORK/cdp-profile" "$URL" alice alice-secret
kill "$CDP_PID" 2>/dev/null
wait "$CDP_PID" 2>/dev/null
CDP_PID=""
log "browser part took $((SECONDS - browser_started)) s, the whole test $((SECONDS - started)) s"
finish
