#!/usr/bin/env bash
# Hostile clients against the real breaker-demo on loopback (issue 20), each attack a check:
#   - schemathesis from docs/openapi.yaml with the admin's credentials, a bounded number of examples: every answer
#     documented (status, content type, schema, headers), no 5xx, and the demo still answers afterwards;
#   - the TTL that used to kill the process, and a state file whose expiry is 1e19;
#   - a cross-site form post (text/plain, urlencoded, multipart; and with a foreign Origin): 415/403, nothing changes;
#   - a wrong-password flood (a short version of scripts/auth-flood.sh): health p99, scrapes and the admin hold;
#   - a stream hoarder and a client that stops reading (stream_hoarder.py);
#   - a state file that is a symbolic link: refused with state_file_unsafe, its target never written.
#
# Usage: e2e/hostile/run.sh   (BREAKER_DEMO=path, default .build/debug/breaker-demo)
# Environment: E2E_TIMEOUT (overall seconds, default 420), E2E_KEEP=1 keeps the work directory,
# SCHEMATHESIS_EXAMPLES (per operation and phase, default 50), FLOOD_SECONDS (default 10).
# Needs: htpasswd, curl, python3 with venv; schemathesis from e2e/requirements.txt (e2e/python.sh installs it).
# Prints "N passed, M failed"; exits non-zero on any failure.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT" || exit 2
# shellcheck source=../operations/demo.sh
source e2e/operations/demo.sh
run_bounded "${E2E_TIMEOUT:-420}" "$ROOT/e2e/hostile/run.sh" "$@"
HERE="e2e/hostile"
BREAKER_DEMO="${BREAKER_DEMO:-.build/debug/breaker-demo}"
WORK="$(mktemp -d)"
E2E_NAME="hostile"
cleanup() {
    stop_demos
    if [ -n "${E2E_KEEP:-}" ] || [ "$failed" -ne 0 ]; then log "logs kept in $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

[ -x "$BREAKER_DEMO" ] || { echo "no demo at $BREAKER_DEMO (swift build --product breaker-demo)" >&2; exit 2; }
for tool in htpasswd curl python3; do
    command -v "$tool" >/dev/null || { echo "missing $tool (scripts/install-deps.sh test)" >&2; exit 2; }
done
e2e/python.sh -c 'import schemathesis' || exit 2
PY="e2e/python.sh"

ADMIN="$(htpasswd -nbB -C 10 alice alice-secret)"
STATE="$WORK/overrides.json"
STREAMS=4
start_demo hostile --admin-user "$ADMIN" --state-file "$STATE" --outage-offset 100000 --flaky-failure-rate 0 \
    --rate 20 --heartbeat-interval 1s --request-timeout 3s --streams-per-address "$STREAMS" || { finish; exit 1; }
URL="$DEMO_URL"
alive() { [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$URL/-/healthy")" = 200 ] && kill -0 "$DEMO_PID"; }
state_of() { curl -s "$URL/api/v1/breakers/$1" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["state"])'; }
# post BODY CONTENT-TYPE [curl args]: prints the status of a POST of the override of payments, as alice.
post() {
    local body="$1" type="$2"
    shift 2
    curl -s -o "$WORK/post.json" -w '%{http_code}' -u alice:alice-secret -H "Content-Type: $type" -d "$body" "$@" \
        "$URL/api/v1/breakers/payments/override"
}
code_is() { "$PY" -c 'import json,sys; sys.exit(json.load(open(sys.argv[1]))["error"]["code"] != sys.argv[2])' "$@"; }

# --- The crash of issue 20: a ttl whose nanoseconds overflow.
check "ttl 999999d is a 400, not a crash" test "$(post '{"action":"force_open","reason":"x","ttl":"999999d"}' application/json)" = 400
check "… with the JSON error bad_ttl" code_is "$WORK/post.json" bad_ttl
check "… and the demo is alive" alive

# --- Cross-site form posts: what a page on another site can make a browser send with cached credentials.
body='{"action":"force_open","reason":"csrf","ttl":"10m"}'
check "a text/plain form post is 415" test "$(post "$body" text/plain)" = 415
check "… with the JSON error unsupported_media_type" code_is "$WORK/post.json" unsupported_media_type
check "an urlencoded form post is 415" test "$(post "$body" application/x-www-form-urlencoded)" = 415
check "a multipart form post is 415" test "$(curl -s -o /dev/null -w '%{http_code}' -u alice:alice-secret \
    -F 'action=force_open' "$URL/api/v1/breakers/payments/override")" = 415
check "JSON from a foreign Origin is 403" test "$(post "$body" application/json -H 'Origin: http://evil.example')" = 403
check "… with the JSON error cross_site_request" code_is "$WORK/post.json" cross_site_request
check "JSON with Sec-Fetch-Site: cross-site is 403" test "$(post "$body" application/json -H 'Sec-Fetch-Site: cross-site')" = 403
check "a DELETE without Content-Type is 415" test "$(curl -s -o /dev/null -w '%{http_code}' -u alice:alice-secret \
    -X DELETE "$URL/api/v1/breakers/payments/override")" = 415
check "payments is still closed: no forged request changed anything" test "$(state_of payments)" = closed
check "the state file holds no override" bash -c "[ ! -e '$STATE' ] || ! grep -q force_open '$STATE'"

# --- One error shape under /api/.
status="$(curl -s -o "$WORK/405.json" -w '%{http_code}' -u alice:alice-secret "$URL/api/v1/breakers/payments/override")"
check "GET on the override path: 405 as JSON" bash -c "[ $status = 405 ] && $PY -c 'import json; json.load(open(\"$WORK/405.json\"))'"
check "… code method_not_allowed" code_is "$WORK/405.json" method_not_allowed
head -c 5000 /dev/zero | tr '\0' 'x' >"$WORK/big"
status="$(curl -s -o "$WORK/413.json" -w '%{http_code}' -u alice:alice-secret -H 'Content-Type: application/json' \
    --data-binary @"$WORK/big" "$URL/api/v1/breakers/payments/override")"
check "a 5,000-byte body: 413 with code content_too_large" bash -c "[ $status = 413 ] && $PY -c 'import json,sys; sys.exit(json.load(open(\"$WORK/413.json\"))[\"error\"][\"code\"] != \"content_too_large\")'"

# --- schemathesis against docs/openapi.yaml, with the admin's credentials.
examples="${SCHEMATHESIS_EXAMPLES:-50}"
st_started=$SECONDS
e2e/python.sh -m schemathesis.cli run docs/openapi.yaml --url "$URL" --auth alice:alice-secret \
    --max-examples "$examples" --seed 20 --exclude-path /api/v1/events --workers 1 \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance \
    >"$WORK/schemathesis.log" 2>&1
st_status=$?
generated="$(sed -n 's/^ *\([0-9][0-9]*\) generated.*/\1/p' "$WORK/schemathesis.log" | tail -1)"
log "schemathesis: ${generated:-?} test cases in $((SECONDS - st_started)) s ($examples examples per operation and phase); $(grep -E 'generated' "$WORK/schemathesis.log" | tail -1 | sed 's/^ *//')"
check "schemathesis: every answer documented, no 5xx (${generated:-?} test cases)" test "$st_status" = 0
[ "$st_status" = 0 ] || tail -60 "$WORK/schemathesis.log"
check "schemathesis ran test cases" test "${generated:-0}" -gt 100
check "the demo is alive after schemathesis" alive

# --- The wrong-password flood (scripts/auth-flood.sh runs the longer measurement).
check "wrong-password flood: health, scrapes and the admin hold" \
    "$PY" "$HERE/auth_flood.py" "$URL" alice alice-secret --clients 32 --seconds "${FLOOD_SECONDS:-10}" \
    --healthy-p99-ms 500 --scrape-max-ms 2000
check "the flood was throttled and counted (metrics_exporter_throttled_logins_total > 0)" bash -c \
    "curl -s '$URL/metrics' | grep -Eq '^metrics_exporter_throttled_logins_total [1-9]'"
check "the demo is alive after the flood" alive

# --- Stream hoarders.
check "stream hoarder: capped per address, heartbeats, non-readers cut" \
    "$PY" "$HERE/stream_hoarder.py" "$URL" alice alice-secret "$STREAMS"
check "the demo is alive after the hoarder" alive

# --- A state file with an expiry of 1e19 (it used to reach the page's clock formatting and trap).
HUGE="$WORK/huge.json"
printf '{"version": 1, "overrides": [{"breaker": "payments", "action": "force_open", "reason": "x", "actor": "mallory", "applied_at": 1700000000, "expires_at": 1e19}]}' >"$HUGE"
start_demo huge --state-file "$HUGE" --outage-offset 100000 || { finish; exit 1; }
check "an expiry of 1e19: the page renders (200)" test "$(curl -s -o /dev/null -w '%{http_code}' "$DEMO_URL/")" = 200
check "… the entry is refused and logged (state_file_corrupt)" grep -q "state_file_corrupt" "$WORK/huge.log"
check "… payments is not forced open" test "$(curl -s "$DEMO_URL/api/v1/breakers/payments" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["state"])')" = closed
check "… the file was moved aside, not lost" bash -c "ls '$WORK' | grep -q '^huge.json.corrupt-'"

# --- A state file that is a symbolic link.
printf 'precious\n' >"$WORK/precious.txt"
ln -s "$WORK/precious.txt" "$WORK/linked.json"
start_demo linked --admin-user "$ADMIN" --state-file "$WORK/linked.json" --outage-offset 100000 || { finish; exit 1; }
LINKED="$DEMO_URL"
check "a symlinked state file is refused with state_file_unsafe (logged)" grep -q "state_file_unsafe" "$WORK/linked.log"
status="$(curl -s -o "$WORK/linked.json.answer" -w '%{http_code}' -u alice:alice-secret -H 'Content-Type: application/json' \
    -d '{"action":"disable","reason":"x","ttl":"5m"}' "$LINKED/api/v1/breakers/payments/override")"
check "an override still applies but answers 500 not_persisted" bash -c "[ $status = 500 ] && grep -q not_persisted '$WORK/linked.json.answer'"
check "the link's target was never written" test "$(cat "$WORK/precious.txt")" = precious
check "the link is still a link" test -L "$WORK/linked.json"
check "the demo with the symlinked file is alive" bash -c "[ \$(curl -s -o /dev/null -w '%{http_code}' '$LINKED/-/healthy') = 200 ]"

finish
