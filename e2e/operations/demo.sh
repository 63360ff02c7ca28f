# Shared by e2e/operations/run.sh and e2e/browser/run.sh (sourced, not run): start breaker-demo instances on
# loopback, wait for them, stop every one of them on exit, and count checks.
# Needs: BREAKER_DEMO (path to the demo), WORK (a scratch directory).

# run_bounded SECONDS SCRIPT ARGS...: runs the calling script again under timeout(1), once, so that the whole test,
# and whatever it started, ends within SECONDS whatever happens (call it right after sourcing this file).
run_bounded() {
    local limit="$1"
    shift
    if [ -z "${E2E_UNDER_TIMEOUT:-}" ] && command -v timeout >/dev/null 2>&1; then
        export E2E_UNDER_TIMEOUT=1
        exec timeout --foreground --kill-after=15 "$limit" bash "$@"
    fi
}

passed=0
failed=0
demo_pids=()

log() { printf '[%s %3ds] %s\n' "${E2E_NAME:-e2e}" "$SECONDS" "$*"; }
pass() { passed=$((passed + 1)); log "PASS $*"; }
fail() { failed=$((failed + 1)); log "FAIL $*"; }
check() { # description, command...
    local description="$1"
    shift
    if "$@"; then pass "$description"; else fail "$description"; fi
}

# start_demo NAME ARGS...: starts the demo on a free loopback port with ARGS; sets DEMO_URL and DEMO_PID.
start_demo() {
    local name="$1"
    shift
    "$BREAKER_DEMO" --port 0 --quiet "$@" >"$WORK/$name.out" 2>"$WORK/$name.log" &
    DEMO_PID=$!
    demo_pids+=("$DEMO_PID")
    DEMO_URL=""
    local tries=0
    while [ -z "$DEMO_URL" ] && [ "$tries" -lt 300 ]; do
        DEMO_URL="$(sed -n 's|.*url=\(http://[0-9.:]*\)/metrics.*|\1|p' "$WORK/$name.log" | head -1)"
        kill -0 "$DEMO_PID" 2>/dev/null || break
        [ -z "$DEMO_URL" ] && sleep 0.1
        tries=$((tries + 1))
    done
    if [ -z "$DEMO_URL" ]; then
        log "demo $name did not start:"
        cat "$WORK/$name.log" >&2
        return 1
    fi
    log "demo $name at $DEMO_URL (pid $DEMO_PID)"
}

# stop_demos: SIGTERM, then SIGKILL after 10 s, for every demo started (run on exit).
stop_demos() {
    local pid
    for pid in "${demo_pids[@]}"; do kill -TERM "$pid" 2>/dev/null; done
    for pid in "${demo_pids[@]}"; do
        local waited=0
        while kill -0 "$pid" 2>/dev/null && [ "$waited" -lt 100 ]; do
            sleep 0.1
            waited=$((waited + 1))
        done
        kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
    demo_pids=()
}

# wait_until SECONDS DESCRIPTION COMMAND...: polls every 0.5 s until COMMAND succeeds; one check.
wait_until() {
    local limit="$1" description="$2"
    shift 2
    local until=$((SECONDS + limit))
    while :; do
        if "$@"; then
            pass "$description"
            return 0
        fi
        if [ "$SECONDS" -ge "$until" ]; then
            fail "$description (gave up after $limit s)"
            return 1
        fi
        sleep 0.5
    done
}

# finish: prints the closing line and exits non-zero on any failure.
finish() {
    echo "$passed passed, $failed failed"
    [ "$failed" -eq 0 ]
}
