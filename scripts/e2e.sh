#!/usr/bin/env bash
# End-to-end test of the operations kit: two breaker-demo instances, a real Prometheus loaded with the
# shipped rules (alerts/*.yml, unmodified), a real Alertmanager and a webhook receiver, all on loopback.
#
# Scenario: the payments dependency of both demos fails from E2E_OUTAGE_OFFSET seconds for
# E2E_OUTAGE_DURATION seconds. Asserted: both targets up; the exposition has every metric of the contract;
# every dashboard query returns data; CircuitBreakerOpen (and CircuitBreakerOpenFleetWide) fire for
# payments and the notification reaches the webhook; after the outage payments closes on both instances,
# the alert resolves and the resolved notification arrives; the healthy catalog breaker never alerts; the
# demos stop cleanly on SIGTERM.
#
# Usage: scripts/e2e.sh     (BREAKER_DEMO=path/to/breaker-demo, default .build/debug/breaker-demo)
# Environment: E2E_TIMEOUT (overall, seconds, default 300), E2E_OUTAGE_OFFSET (15), E2E_OUTAGE_DURATION (90),
# E2E_RATE (calls/s per dependency, 20), E2E_KEEP=1 to keep the work directory, E2E_VERBOSE=1 to dump the
# logs even on success. Installs the Debian packages prometheus and prometheus-alertmanager when missing
# (as root). Prints "N passed, M failed"; exits non-zero on any failure.
set -uo pipefail

E2E_TIMEOUT="${E2E_TIMEOUT:-300}"
# Bound everything, whatever happens below: the script re-runs itself under timeout(1).
if [ -z "${E2E_UNDER_TIMEOUT:-}" ] && command -v timeout >/dev/null 2>&1; then
    export E2E_UNDER_TIMEOUT=1
    exec timeout --foreground --kill-after=30 "$E2E_TIMEOUT" bash "$0" "$@"
fi

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT" || exit 2
BREAKER_DEMO="${BREAKER_DEMO:-.build/debug/breaker-demo}"
OUTAGE_OFFSET="${E2E_OUTAGE_OFFSET:-15}"
OUTAGE_DURATION="${E2E_OUTAGE_DURATION:-90}"
RATE="${E2E_RATE:-20}"
JOB="breaker-demo"
DEADLINE=$((SECONDS + E2E_TIMEOUT - 20)) # keep 20 s for stopping everything and reporting

passed=0
failed=0
failures=()
names=()
pids=()

log() { printf '[e2e %3ds] %s\n' "$SECONDS" "$*"; }
pass() { passed=$((passed + 1)); log "PASS $*"; }
fail() { failed=$((failed + 1)); failures+=("$*"); log "FAIL $*"; }
check() { # description, command...
    local description="$1"
    shift
    if "$@"; then pass "$description"; else fail "$description"; fi
}

# wait_until SECONDS DESCRIPTION COMMAND...: poll every second until COMMAND succeeds, at most SECONDS
# (and never past the overall deadline). Counts as one check.
wait_until() {
    local limit="$1" description="$2"
    shift 2
    local until=$((SECONDS + limit))
    [ "$until" -gt "$DEADLINE" ] && until=$DEADLINE
    local started=$SECONDS
    while :; do
        if "$@"; then
            pass "$description (after $((SECONDS - started)) s)"
            return 0
        fi
        if [ "$SECONDS" -ge "$until" ]; then
            fail "$description (gave up after $((SECONDS - started)) s)"
            return 1
        fi
        sleep 1
    done
}

# ---------------------------------------------------------------------------------------------------
# Tools.
missing=()
command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
ALERTMANAGER="${ALERTMANAGER:-$(command -v prometheus-alertmanager || command -v alertmanager || true)}"
[ -n "$ALERTMANAGER" ] || missing+=(prometheus-alertmanager)
if [ "${#missing[@]}" -gt 0 ]; then
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
        log "installing ${missing[*]}"
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
        ALERTMANAGER="${ALERTMANAGER:-$(command -v prometheus-alertmanager || command -v alertmanager || true)}"
    else
        log "missing ${missing[*]}: install them (apt-get install -y ${missing[*]}) or run as root"
    fi
fi
for tool in prometheus promtool python3 curl; do
    command -v "$tool" >/dev/null 2>&1 || { log "required tool $tool not found"; echo "0 passed, 1 failed"; exit 1; }
done
[ -n "$ALERTMANAGER" ] || { log "alertmanager not found"; echo "0 passed, 1 failed"; exit 1; }
if [ ! -x "$BREAKER_DEMO" ]; then
    log "demo executable $BREAKER_DEMO not found: build it (swift build --product breaker-demo) or set BREAKER_DEMO"
    echo "0 passed, 1 failed"
    exit 1
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/breaker-e2e.XXXXXX")"
log "work directory $WORK"

# ---------------------------------------------------------------------------------------------------
# Processes: started in the background, logs in $WORK/<name>.log, stopped by pid on exit.
start() { # name, command...
    local name="$1"
    shift
    "$@" >"$WORK/$name.log" 2>&1 &
    names+=("$name")
    pids+=("$!")
    log "started $name (pid $!)"
}

pid_of() {
    local i
    for i in "${!names[@]}"; do
        [ "${names[$i]}" = "$1" ] && { echo "${pids[$i]}"; return 0; }
    done
    return 1
}

# stop PID: SIGTERM, up to 10 s, then SIGKILL. Returns the exit status (137 when it had to be killed).
stop() {
    local pid="$1" i
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return $?; }
    kill -TERM "$pid" 2>/dev/null
    for i in $(seq 1 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.2
    done
    if kill -0 "$pid" 2>/dev/null; then
        kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
        return 137
    fi
    wait "$pid" 2>/dev/null
}

cleanup() {
    local status=$? i
    trap - EXIT INT TERM
    for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
        stop "${pids[$i]}"
    done
    if [ "$failed" -gt 0 ] || [ "${E2E_VERBOSE:-0}" = 1 ] || [ "$status" -ne 0 ]; then
        if [ -n "${PROM_URL:-}" ] && [ -s "$WORK/alerts-at-failure.json" ]; then
            echo "----- Prometheus /api/v1/alerts when the first check failed -----"
            cat "$WORK/alerts-at-failure.json"
        fi
        for name in "${names[@]}"; do
            echo "----- $name: $WORK/$name.log (last 150 lines) -----"
            tail -n 150 "$WORK/$name.log" 2>/dev/null
        done
        if [ -s "$WORK/notifications.jsonl" ]; then
            echo "----- webhook notifications ($WORK/notifications.jsonl) -----"
            cat "$WORK/notifications.jsonl"
        fi
    fi
    if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
        failed=1
        failures+=("interrupted (exit status $status)")
    fi
    echo
    [ "$failed" -gt 0 ] && printf 'failed: %s\n' "${failures[@]}"
    echo "$passed passed, $failed failed"
    if [ "$failed" -eq 0 ] && [ "${E2E_KEEP:-0}" != 1 ]; then
        rm -rf "$WORK"
    else
        echo "logs and data kept in $WORK"
    fi
    [ "$failed" -eq 0 ] && exit 0
    exit 1
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT
trap 'log "terminated (overall timeout ${E2E_TIMEOUT}s?)"; exit 143' TERM

# ---------------------------------------------------------------------------------------------------
# JSON helpers (python3, no jq needed).
HELPER="$WORK/e2e_helper.py"
cat >"$HELPER" <<'PY'
import json, sys, urllib.parse, urllib.request

def get(base, path, **params):
    url = base.rstrip("/") + path + ("?" + urllib.parse.urlencode(params) if params else "")
    with urllib.request.urlopen(url, timeout=5) as response:
        body = json.load(response)
    if body.get("status") != "success":
        raise SystemExit(f"{path}: {body.get('error')}")
    return body["data"]

def matches(labels, wanted):
    return all(labels.get(k) == v for k, v in wanted.items())

def pairs(items):
    return dict(item.split("=", 1) for item in items)

command, args = sys.argv[1], sys.argv[2:]
if command == "count":  # URL EXPR -> number of series in an instant query
    print(len(get(args[0], "/api/v1/query", query=args[1])["result"]))
elif command == "alerts":  # URL NAME STATE(any|pending|firing) k=v... -> number of matching alerts
    found = [a for a in get(args[0], "/api/v1/alerts")["alerts"]
             if a["labels"].get("alertname") == args[1] and args[2] in ("any", a["state"])
             and matches(a["labels"], pairs(args[3:]))]
    print(len(found))
elif command == "notified":  # FILE STATUS NAME k=v... -> number of matching alerts in notifications
    count = 0
    try:
        with open(args[0], encoding="utf-8") as handle:
            for line in handle:
                if line.strip():
                    for alert in json.loads(line).get("alerts", []):
                        if (alert.get("status") == args[1] and alert["labels"].get("alertname") == args[2]
                                and matches(alert["labels"], pairs(args[3:]))):
                            count += 1
    except FileNotFoundError:
        pass
    print(count)
elif command == "rules":  # URL EXPECTED_GROUPS -> ok when every rule evaluated without error
    groups = get(args[0], "/api/v1/rules")["groups"]
    rules = [r for g in groups for r in g["rules"]]
    bad = [f"{r['name']}: {r.get('health')} {r.get('lastError', '')}" for r in rules if r.get("health") != "ok"]
    print(f"{len(groups)} groups, {len(rules)} rules, {len(bad)} not ok: {bad[:5]}")
    sys.exit(0 if len(groups) == int(args[1]) and rules and not bad else 1)
elif command == "exposition":  # METRICS_URL -> ok when every metric family of the contract is exposed
    with urllib.request.urlopen(args[0], timeout=5) as response:
        text = response.read().decode()
    names = {line.split("{")[0].split(" ")[0] for line in text.splitlines() if line and not line.startswith("#")}
    wanted = ["circuit_breaker_state", "circuit_breaker_calls_total", "circuit_breaker_call_duration_seconds_bucket",
              "circuit_breaker_call_duration_seconds_sum", "circuit_breaker_call_duration_seconds_count",
              "circuit_breaker_slow_calls_total", "circuit_breaker_transitions_total", "circuit_breaker_failure_ratio",
              "circuit_breaker_slow_call_ratio", "circuit_breaker_failure_ratio_threshold",
              "circuit_breaker_state_change_timestamp_seconds", "circuit_breaker_fallbacks_total"]
    missing = [n for n in wanted if n not in names]
    breakers = sorted({l.split('breaker="')[1].split('"')[0] for l in text.splitlines()
                       if l.startswith("circuit_breaker_state{") and 'breaker="' in l})
    print(f"breakers {breakers}; missing families: {missing or 'none'}")
    sys.exit(0 if not missing and {"catalog", "recommendations", "payments"} <= set(breakers) else 1)
else:
    raise SystemExit(f"unknown command {command}")
PY

helper() { python3 "$HELPER" "$@" 2>>"$WORK/helper-errors.log"; }
http_ok() { curl -fsS --max-time 3 -o /dev/null "$1" 2>/dev/null; }
count_is() { # N EXPR: the instant query returns exactly N series
    local n
    n="$(helper count "$PROM_URL" "$2")" && [ "$n" -eq "$1" ]
}
alerts_at_least() { # N NAME STATE k=v...
    local want="$1" n
    shift
    n="$(helper alerts "$PROM_URL" "$@")" && [ "$n" -ge "$want" ]
}
no_alerts() { # NAME k=v...: neither pending nor firing
    local n name="$1"
    shift
    n="$(helper alerts "$PROM_URL" "$name" any "$@")" && [ "$n" -eq 0 ]
}
notified() { # STATUS NAME k=v...: at least one alert with that status reached the webhook
    local n
    n="$(helper notified "$WORK/notifications.jsonl" "$@")" && [ "$n" -ge 1 ]
}
snapshot_alerts() {
    [ -s "$WORK/alerts-at-failure.json" ] && return 0
    curl -fsS --max-time 3 "$PROM_URL/api/v1/alerts" >"$WORK/alerts-at-failure.json" 2>/dev/null || true
}

# ---------------------------------------------------------------------------------------------------
# Ports, configuration, processes.
read -r DEMO1_PORT DEMO2_PORT PROM_PORT AM_PORT < <(python3 -c '
import socket
sockets = [socket.socket() for _ in range(4)]
for s in sockets:
    s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in sockets])
for s in sockets:
    s.close()')
PROM_URL="http://127.0.0.1:$PROM_PORT"
AM_URL="http://127.0.0.1:$AM_PORT"

start webhook python3 scripts/webhook_receiver.py --port 0 --port-file "$WORK/webhook.port" \
    --output "$WORK/notifications.jsonl"
wait_until 10 "webhook receiver listening" test -s "$WORK/webhook.port" || exit 1
HOOK_URL="http://127.0.0.1:$(cat "$WORK/webhook.port")"
wait_until 10 "webhook receiver healthy" http_ok "$HOOK_URL/-/healthy" || exit 1

cat >"$WORK/alertmanager.yml" <<EOF
route:
  receiver: webhook
  group_by: [alertname, job, breaker]
  group_wait: 1s
  group_interval: 2s
  repeat_interval: 1h
receivers:
  - name: webhook
    webhook_configs:
      - url: $HOOK_URL/alerts
        send_resolved: true
EOF
mkdir -p "$WORK/alertmanager-data" "$WORK/prometheus-data"
start alertmanager "$ALERTMANAGER" --config.file="$WORK/alertmanager.yml" --storage.path="$WORK/alertmanager-data" \
    --web.listen-address="127.0.0.1:$AM_PORT" --cluster.listen-address= --log.level=debug
wait_until 30 "alertmanager ready" http_ok "$AM_URL/-/ready" || exit 1

cat >"$WORK/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
rule_files:
  - $ROOT/alerts/*.yml
alerting:
  alertmanagers:
    - static_configs:
        - targets: ['127.0.0.1:$AM_PORT']
scrape_configs:
  - job_name: $JOB
    static_configs:
      - targets: ['127.0.0.1:$DEMO1_PORT', '127.0.0.1:$DEMO2_PORT']
EOF
if promtool check config "$WORK/prometheus.yml" >"$WORK/check-config.log" 2>&1; then
    pass "promtool check config (with the shipped rules)"
else
    fail "promtool check config (with the shipped rules)"
    sed 's/^/    /' "$WORK/check-config.log"
fi
start prometheus prometheus --config.file="$WORK/prometheus.yml" --storage.tsdb.path="$WORK/prometheus-data" \
    --web.listen-address="127.0.0.1:$PROM_PORT" --storage.tsdb.retention.time=1d
wait_until 30 "prometheus ready" http_ok "$PROM_URL/-/ready" || exit 1
rule_groups="$(python3 -c '
import glob, re
print(sum(len(re.findall(r"^  - name:", open(f).read(), re.M)) for f in glob.glob("alerts/*.yml")))')"
rules_healthy() { helper rules "$PROM_URL" "$rule_groups" >"$WORK/rules-health.txt"; }
wait_until 20 "all $rule_groups rule groups loaded and every rule evaluates without error" rules_healthy ||
    sed 's/^/    /' "$WORK/rules-health.txt"

# The demos start after Prometheus, so it scrapes them from their first seconds: counters that move
# during the outage have a baseline sample before it.
demo_args=(--bind 127.0.0.1 --quiet --duration $((E2E_TIMEOUT + 60)) --rate "$RATE"
    --outage-offset "$OUTAGE_OFFSET" --outage-duration "$OUTAGE_DURATION" --outage-period 3600)
start demo1 "$BREAKER_DEMO" --port "$DEMO1_PORT" "${demo_args[@]}"
start demo2 "$BREAKER_DEMO" --port "$DEMO2_PORT" "${demo_args[@]}"
wait_until 30 "demo1 healthy on 127.0.0.1:$DEMO1_PORT" http_ok "http://127.0.0.1:$DEMO1_PORT/-/healthy" || exit 1
wait_until 10 "demo2 healthy on 127.0.0.1:$DEMO2_PORT" http_ok "http://127.0.0.1:$DEMO2_PORT/-/healthy" || exit 1
if exposition="$(python3 "$HELPER" exposition "http://127.0.0.1:$DEMO1_PORT/metrics" 2>&1)"; then
    pass "demo1 exposes every metric of the contract for catalog, recommendations and payments"
else
    fail "demo1 exposes every metric of the contract for catalog, recommendations and payments"
fi
log "exposition: $exposition"
if curl -fsS --max-time 5 "http://127.0.0.1:$DEMO1_PORT/metrics" | promtool check metrics >"$WORK/lint.txt" 2>&1; then
    log "promtool check metrics: clean"
else
    log "promtool check metrics (informational): $(tr '\n' ';' <"$WORK/lint.txt")"
fi

wait_until 30 "both demo targets up" count_is 2 "up{job=\"$JOB\"} == 1"
check "payments closed on both instances before the outage (baseline scraped)" \
    count_is 2 "circuit_breaker_state{job=\"$JOB\", breaker=\"payments\", state=\"closed\"} == 1"

# ---------------------------------------------------------------------------------------------------
# The outage.
wait_until $((OUTAGE_OFFSET + 60)) "payments trips on both instances (closed -> open transition counted)" \
    count_is 2 "sum by (instance) (circuit_breaker_transitions_total{job=\"$JOB\", breaker=\"payments\", from=\"closed\", to=\"open\"}) > 0"
sleep 3 # a few more scrapes, so rate windows and the state timeline have samples after the trip

# Every panel query of the dashboard, on this Prometheus. Allowed to be empty: none (every series
# exists at 0 from registration and the outage produces transitions).
if timeout 120 python3 scripts/check_dashboards.py --skip-provisioning --prometheus-url "$PROM_URL" --require-data \
    --var job="$JOB" >"$WORK/dashboards.log" 2>&1; then
    pass "every dashboard panel and variable query returns data ($(tail -n 1 "$WORK/dashboards.log"))"
else
    fail "every dashboard panel and variable query returns data"
    grep -E '^(FAIL|NOTE)|query:' "$WORK/dashboards.log" | sed 's/^/    /'
    tail -n 1 "$WORK/dashboards.log" | sed 's/^/    /'
fi

wait_until 120 "CircuitBreakerOpen firing for payments on both instances" \
    alerts_at_least 2 CircuitBreakerOpen firing breaker=payments job="$JOB" || snapshot_alerts
wait_until 30 "CircuitBreakerOpenFleetWide firing for payments" \
    alerts_at_least 1 CircuitBreakerOpenFleetWide firing breaker=payments job="$JOB" || snapshot_alerts
wait_until 30 "firing CircuitBreakerOpen notification for payments reached the webhook" \
    notified firing CircuitBreakerOpen breaker=payments job="$JOB"

# ---------------------------------------------------------------------------------------------------
# Recovery. The breaker closes after the outage once its open wait elapses and its probes succeed.
recovery_limit=$((OUTAGE_OFFSET + OUTAGE_DURATION + 150))
wait_until "$recovery_limit" "payments closed again on both instances" \
    count_is 2 "circuit_breaker_state{job=\"$JOB\", breaker=\"payments\", state=\"closed\"} == 1" || snapshot_alerts
wait_until 30 "CircuitBreakerOpen for payments resolved (neither pending nor firing)" \
    no_alerts CircuitBreakerOpen breaker=payments job="$JOB" || snapshot_alerts
wait_until 30 "resolved CircuitBreakerOpen notification for payments reached the webhook" \
    notified resolved CircuitBreakerOpen breaker=payments job="$JOB"
check "no alert ever fired for the healthy catalog breaker" \
    count_is 0 "max_over_time(ALERTS{alertstate=\"firing\", job=\"$JOB\", breaker=\"catalog\"}[1h])"

# ---------------------------------------------------------------------------------------------------
# Clean shutdown of the demos.
for name in demo1 demo2; do
    pid="$(pid_of "$name")"
    stop "$pid"
    rc=$?
    check "$name stopped cleanly on SIGTERM (exit status $rc, expected 0)" test "$rc" -eq 0
done
exit 0
