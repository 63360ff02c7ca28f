#!/usr/bin/env bash
# Integration test of the operations routes against the real breaker-demo on loopback: status API and its JSON
# Schema, 401/403/400/404 with JSON bodies, the event stream with Last-Event-ID, shadow mode, overrides that survive
# `kill -9` until their TTL ends, DELETE, and two concurrent overrides (both counted and logged); the demo's
# `partners` group: its keys paged, hostile and overlong keys refused, made-up keys never created by an override,
# a per-key and a per-group override (audited, published, saved, restored after `kill -9`, cleared).
#
# Usage: e2e/operations/run.sh   (BREAKER_DEMO=path, default .build/debug/breaker-demo)
# Environment: E2E_TIMEOUT (overall seconds, default 240), E2E_KEEP=1 keeps the work directory.
# Needs: htpasswd (apache2-utils), curl, python3 with venv (jsonschema from e2e/operations/requirements.txt is
# installed into .build/e2e-venv). Prints "N passed, M failed"; exits non-zero on any failure.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT" || exit 2
# shellcheck source=demo.sh
source e2e/operations/demo.sh
run_bounded "${E2E_TIMEOUT:-240}" "$ROOT/e2e/operations/run.sh" "$@"
HERE="e2e/operations"
BREAKER_DEMO="${BREAKER_DEMO:-.build/debug/breaker-demo}"
SCHEMA="docs/operations-api.schema.json"
WORK="$(mktemp -d)"
E2E_NAME="operations"
cleanup() {
    stop_demos
    if [ -n "${E2E_KEEP:-}" ] || [ "$failed" -ne 0 ]; then log "logs kept in $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

[ -x "$BREAKER_DEMO" ] || { echo "no demo at $BREAKER_DEMO (swift build --product breaker-demo)" >&2; exit 2; }
for tool in htpasswd curl python3; do
    command -v "$tool" >/dev/null || { echo "missing $tool (scripts/install-deps.sh test)" >&2; exit 2; }
done
VENV=".build/e2e-venv"
if ! "$VENV/bin/python" -c 'import jsonschema' 2>/dev/null; then
    python3 -m venv "$VENV" && "$VENV/bin/pip" install -q -r "$HERE/requirements.txt" || exit 2
fi
PY="$VENV/bin/python"
valid() { "$PY" "$HERE/check_json.py" "$SCHEMA" "$@"; }
field() { "$PY" "$HERE/check_json.py" "$SCHEMA" field "$@"; }

ADMIN="$(htpasswd -nbB alice alice-secret)"
SCRAPE="$(htpasswd -nbB prom prom-secret)"
STATE="$WORK/overrides.json"
DEMO_ARGS=(--admin-user "$ADMIN" --scrape-user "$SCRAPE" --state-file "$STATE" --outage-offset 100000
    --flaky-failure-rate 0 --shadow-failure-rate 0.5 --rate 20)
start_demo first "${DEMO_ARGS[@]}" || { finish; exit 1; }
URL="$DEMO_URL"

# get FILE URL-PATH [CURL ARGS...]: body to FILE, prints the status code.
get() {
    local file="$1" path="$2"
    shift 2
    curl -s -o "$file" -w '%{http_code}' "$@" "$URL$path"
}
post() { # file name body [curl args...]
    local file="$1" name="$2" body="$3"
    shift 3
    curl -s -o "$file" -w '%{http_code}' -H 'Content-Type: application/json' -d "$body" "$@" \
        "$URL/api/v1/breakers/$name/override"
}
status_is() { [ "$1" = "$2" ] || { log "status $1, expected $2"; return 1; }; }
state_of() { # name -> prints the state (as prom)
    get "$WORK/state.json" "/api/v1/breakers/$1" -u prom:prom-secret >/dev/null
    "$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["state"])' "$WORK/state.json"
}

# --- Status API and its schema.
check "list without credentials: 401" status_is "$(get "$WORK/a" /api/v1/breakers)" 401
check "list as a scrape user: 200" status_is "$(get "$WORK/list.json" /api/v1/breakers -u prom:prom-secret)" 200
check "list matches the schema" valid breakerList "$WORK/list.json"
check "list holds the four demo breakers" field "$WORK/list.json" breakers.3.name search
check "one breaker: 200" status_is "$(get "$WORK/one.json" /api/v1/breakers/payments -u prom:prom-secret)" 200
check "one breaker matches the schema" valid breaker "$WORK/one.json"
check "unknown breaker: 404" status_is "$(get "$WORK/404.json" /api/v1/breakers/nope -u prom:prom-secret)" 404
check "404 body is a schema-valid JSON error" valid error "$WORK/404.json"

# --- Who may act.
body='{"action":"force_open","reason":"e2e drill","ttl":"20s"}'
check "override without credentials: 401" status_is "$(post "$WORK/b" payments "$body")" 401
check "override as a scrape-only user: 403" status_is "$(post "$WORK/b" payments "$body" -u prom:prom-secret)" 403
check "payments untouched by refused requests" test "$(state_of payments)" = closed
for case in 'not json|bad_json' '{"action":"explode","reason":"x","ttl":"5m"}|unknown_action' \
    '{"action":"force_open","reason":"x","ttl":"soon"}|bad_ttl' '{"action":"force_open","reason":"x","ttl":"48h"}|ttl_too_long' \
    '{"action":"force_open","ttl":"5m"}|missing_field'; do
    request="${case%|*}"
    code="${case##*|}"
    check "bad request ($code): 400" status_is "$(post "$WORK/400.json" payments "$request" -u alice:alice-secret)" 400
    check "bad request ($code): schema-valid JSON error" field "$WORK/400.json" error.code "$code"
done
check "unknown breaker override: 404" status_is "$(post "$WORK/404b.json" nope "$body" -u alice:alice-secret)" 404

# --- Force open, the audit line, the state file.
check "force open as admin: 200" status_is "$(post "$WORK/forced.json" payments "$body" -u alice:alice-secret)" 200
check "response is the breaker, forced open" field "$WORK/forced.json" state forced_open
check "response matches the schema" valid breaker "$WORK/forced.json"
expires="$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["override"]["expires_at"])' "$WORK/forced.json")"
check "audit line: who, what, why, until when" grep -q "override applied: alice force_open payments until .*: e2e drill" "$WORK/first.log"
check "state file written" grep -q '"force_open"' "$STATE"

# --- Event stream: replay from Last-Event-ID 1 (older than the buffer: a gap, then every buffered event).
curl -s -N --max-time 3 -u prom:prom-secret -H 'Last-Event-ID: 1' "$URL/api/v1/events" >"$WORK/events.txt"
check "events: every data line matches the schema" valid events "$WORK/events.txt"
check "events: the override was published" grep -q '"type":"override_applied","breaker":"payments"' "$WORK/events.txt"
last_id="$(sed -n 's/^id: //p' "$WORK/events.txt" | tail -1)"
curl -s -N --max-time 2 -u prom:prom-secret -H "Last-Event-ID: $last_id" "$URL/api/v1/events" >"$WORK/resumed.txt"
check "events: resuming from the last id replays nothing twice" bash -c "! grep -q '^id: $last_id\$' '$WORK/resumed.txt' && ! grep -q '^event: gap' '$WORK/resumed.txt'"

# --- Shadow mode: search trips but runs every call; what it would have rejected is counted.
shadow_counted() {
    curl -s -u prom:prom-secret "$URL/metrics" |
        grep -Eq '^circuit_breaker_calls_total\{breaker="search",outcome="shadow_rejected"\} [1-9]'
}
wait_until 60 "shadow breaker counts shadow_rejected calls" shadow_counted
check "shadow breaker never rejects" bash -c "curl -s -u prom:prom-secret '$URL/metrics' | grep -Eq '^circuit_breaker_calls_total\\{breaker=\"search\",outcome=\"rejected\"\\} 0\$'"

# --- Groups: the demo's partners group (20 keys, created as the traffic reaches them).
group_get() { get "$1" "$2" -u prom:prom-secret; }
group_post() { # file path body [curl args...]
    local file="$1" path="$2" body="$3"
    shift 3
    curl -s -o "$file" -w '%{http_code}' -H 'Content-Type: application/json' -d "$body" "$@" "$URL$path"
}
partner_keys() { # count -> whether partners holds that many keys
    group_get "$WORK/keys.json" /api/v1/groups/partners >/dev/null && field "$WORK/keys.json" key_count "$1" 2>/dev/null
}
wait_until 30 "partners holds its 20 keys" partner_keys 20
check "groups list: 200" status_is "$(group_get "$WORK/groups.json" /api/v1/groups)" 200
check "groups list matches the schema" valid groupList "$WORK/groups.json"
check "groups list holds partners" field "$WORK/groups.json" groups.0.name partners
check "groups list: the cap" field "$WORK/groups.json" groups.0.maximum_keys 40
check "a page of 5 keys: 200" status_is "$(group_get "$WORK/page1.json" '/api/v1/groups/partners?limit=5')" 200
check "the page matches the schema" valid groupPage "$WORK/page1.json"
check "the page ends at partner-05" field "$WORK/page1.json" next_after partner-05
check "the page says how many keys match" field "$WORK/page1.json" matching_keys 20
group_get "$WORK/page2.json" '/api/v1/groups/partners?limit=5&after=partner-05' >/dev/null
check "the next page starts at partner-06" field "$WORK/page2.json" keys.0.key partner-06
check "limit=0: 400 invalid_query" status_is "$(group_get "$WORK/q.json" '/api/v1/groups/partners?limit=0')" 400
check "limit=0: the code" field "$WORK/q.json" error.code invalid_query
check "one key: 200" status_is "$(group_get "$WORK/key.json" /api/v1/groups/partners/keys/partner-01)" 200
check "one key matches the schema" valid breaker "$WORK/key.json"
check "one key names its group" field "$WORK/key.json" group partners
check "unknown group: 404 unknown_group" status_is "$(group_get "$WORK/g404.json" /api/v1/groups/nope)" 404
check "unknown group: the code" field "$WORK/g404.json" error.code unknown_group
# A hostile key: a quote, a line break, </script>, percent-encoded.
hostile='%22%0A%3C%2Fscript%3E%3Cscript%3Ealert(1)%3C%2Fscript%3E'
check "hostile key: 404 unknown_key" status_is "$(group_get "$WORK/k404.json" "/api/v1/groups/partners/keys/$hostile")" 404
check "hostile key: a schema-valid JSON error" valid error "$WORK/k404.json"
check "hostile key: the code" field "$WORK/k404.json" error.code unknown_key
check "bad percent-encoding in a key: 400" status_is "$(group_get "$WORK/k400.json" /api/v1/groups/partners/keys/%zz)" 400
long_key="$(head -c 10240 /dev/zero | tr '\0' 'k')"
long_status="$(group_get "$WORK/long.json" "/api/v1/groups/partners/keys/$long_key")"
check "a 10 KB key is refused with a 4xx ($long_status)" test "$long_status" -ge 400 -a "$long_status" -lt 500
# Overriding keys that do not exist creates none.
made_up_404=0
for index in $(seq 1 30); do
    code="$(group_post "$WORK/m.json" "/api/v1/groups/partners/keys/made-up-$index/override" "$body" -u alice:alice-secret)"
    [ "$code" = 404 ] && made_up_404=$((made_up_404 + 1))
done
check "30 overrides of made-up keys: all 404" test "$made_up_404" = 30
check "made-up keys: the code" field "$WORK/m.json" error.code unknown_key
check "made-up keys: the group still holds 20 keys" partner_keys 20
# A key's override.
key_path=/api/v1/groups/partners/keys/partner-03/override
check "key override without credentials: 401" status_is "$(group_post "$WORK/k.json" "$key_path" "$body")" 401
check "key override as a scrape user: 403" status_is "$(group_post "$WORK/k.json" "$key_path" "$body" -u prom:prom-secret)" 403
check "key override from another site: 403" status_is "$(group_post "$WORK/k.json" "$key_path" "$body" -u alice:alice-secret -H 'Origin: http://evil.example')" 403
check "key override as admin: 200" status_is "$(group_post "$WORK/k.json" "$key_path" "$body" -u alice:alice-secret)" 200
check "key override: partner-03 forced open" field "$WORK/k.json" state forced_open
check "key override: matches the schema" valid breaker "$WORK/k.json"
group_get "$WORK/k4.json" /api/v1/groups/partners/keys/partner-04 >/dev/null
check "key override: partner-04 untouched" field "$WORK/k4.json" state closed
check "key override: audit line names the key" grep -q 'override applied: alice force_open partners key "partner-03" until' "$WORK/first.log"
check "key override: saved with its key" grep -Eq '"key" ?: ?"partner-03"' "$STATE"
# The group's override: every key.
check "group override as a scrape user: 403" status_is "$(group_post "$WORK/g.json" /api/v1/groups/partners/override "$body" -u prom:prom-secret)" 403
group_body='{"action":"disable","reason":"e2e group drill","ttl":"10m"}'
check "group override as admin: 200" status_is "$(group_post "$WORK/g.json" /api/v1/groups/partners/override "$group_body" -u alice:alice-secret)" 200
check "group override: matches the schema" valid groupPage "$WORK/g.json"
check "group override: every key disabled" field "$WORK/g.json" state_counts.disabled 20
check "group override: in force" field "$WORK/g.json" override.action disable
check "group override: audit line" grep -q 'override applied: alice disable partners (every key) until' "$WORK/first.log"
check "group override: saved once for the group" grep -Eq '"every_key" ?: ?true' "$STATE"
curl -s -N --max-time 2 -u prom:prom-secret -H 'Last-Event-ID: 1' "$URL/api/v1/events" >"$WORK/group-events.txt"
check "group events: every data line matches the schema" valid events "$WORK/group-events.txt"
check "group events: the key's override names the key" grep -q '"type":"override_applied","breaker":"partners","scope":"key","group":"partners","key":"partner-03"' "$WORK/group-events.txt"
check "group events: the group's override is one event" test "$(grep -c '"type":"override_applied","breaker":"partners","scope":"group"' "$WORK/group-events.txt")" = 1

# --- kill -9 and restart: still forced open until the TTL ends.
kill -KILL "$DEMO_PID"
wait "$DEMO_PID" 2>/dev/null
start_demo second "${DEMO_ARGS[@]}" || { finish; exit 1; }
URL="$DEMO_URL"
check "after kill -9 and restart: payments still forced open" test "$(state_of payments)" = forced_open
check "after restart: same override (actor, expiry)" field "$WORK/state.json" override.expires_at "$expires"
check "after restart: restore logged" grep -q "override restored: alice force_open payments" "$WORK/second.log"
wait_until 30 "after restart: partners holds its 20 keys again" partner_keys 20
check "after restart: the group's override is still in force" field "$WORK/keys.json" override.action disable
check "after restart: keys created since get it" field "$WORK/keys.json" state_counts.disabled 20
check "group override DELETE: 200" status_is "$(curl -s -o "$WORK/gdel.json" -w '%{http_code}' -X DELETE -H 'Content-Type: application/json' -u alice:alice-secret "$URL/api/v1/groups/partners/override")" 200
check "group override DELETE: matches the schema" valid groupPage "$WORK/gdel.json"
check "group override DELETE: no override" field "$WORK/gdel.json" override None
check "group override DELETE: every key closed" field "$WORK/gdel.json" state_counts.closed 20
expired() {
    [ "$(state_of payments)" = closed ] && field "$WORK/state.json" last_transition.reason override_expired 2>/dev/null
}
wait_until 45 "the TTL ends: payments back under automatic control (override_expired)" expired

# --- DELETE clears an override at once.
post "$WORK/d.json" catalog '{"action":"disable","reason":"e2e","ttl":"10m"}' -u alice:alice-secret >/dev/null
check "disable applied" test "$(state_of catalog)" = disabled
check "DELETE as admin: 200" status_is "$(curl -s -o "$WORK/del.json" -w '%{http_code}' -X DELETE -H 'Content-Type: application/json' -u alice:alice-secret "$URL/api/v1/breakers/catalog/override")" 200
check "DELETE: catalog closed, no override" field "$WORK/del.json" override None

# --- Two concurrent overrides on one breaker: both 200, the last wins, both counted and logged.
overrides_total() {
    curl -s -u prom:prom-secret "$URL/metrics" |
        sed -n 's/^circuit_breaker_overrides_total{breaker="recommendations",action="force_open"} //p'
}
before="$(overrides_total)"
post "$WORK/c1.json" recommendations '{"action":"force_open","reason":"first","ttl":"5m"}' -u alice:alice-secret >"$WORK/c1.status" &
first_post=$!
post "$WORK/c2.json" recommendations '{"action":"force_open","reason":"second","ttl":"5m"}' -u alice:alice-secret >"$WORK/c2.status" &
second_post=$!
wait "$first_post" "$second_post"
check "concurrent overrides: both 200" test "$(cat "$WORK/c1.status") $(cat "$WORK/c2.status")" = "200 200"
check "concurrent overrides: both counted" test "$(overrides_total)" = "$((${before:-0} + 2))"
check "concurrent overrides: both logged" test "$(grep -c 'override applied: alice force_open recommendations' "$WORK/second.log")" = 2
get "$WORK/rec.json" /api/v1/breakers/recommendations -u prom:prom-secret >/dev/null
winner="$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["override"]["reason"])' "$WORK/rec.json")"
check "concurrent overrides: one of them is in force ($winner)" test "$winner" = first -o "$winner" = second

finish
