#!/usr/bin/env bash
# `make observe`: the demo, a real Prometheus with the repo's rules, and Alertmanager, on loopback, until Ctrl-C.
# The demo runs a scripted incident so that a newcomer sees the alerts fire and resolve within ten minutes:
# payments and 6 of the 10 partners of the partners group go down 30 s after start, for 200 s. The printed
# timeline says what to expect when (measured: the times below are one run's); e2e/observe_alerts.py prints each
# alert as it goes pending, fires, reaches Alertmanager and resolves.
# Ports: DEMO_PORT (9464), PROMETHEUS_PORT (9090), ALERTMANAGER_PORT (9093).
set -euo pipefail
cd "$(dirname "$0")/.."
demo="${BREAKER_DEMO:-.build/debug/breaker-demo}"
demo_port="${DEMO_PORT:-9464}"
prometheus_port="${PROMETHEUS_PORT:-9090}"
alertmanager_port="${ALERTMANAGER_PORT:-9093}"
alertmanager="$(command -v prometheus-alertmanager || command -v alertmanager)"
outage_offset=30
outage_duration=200
work="$(mktemp -d)"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT INT TERM

cat > "$work/alertmanager.yml" <<YAML
route:
  receiver: console
  group_by: [alertname, breaker]
  group_wait: 5s
  group_interval: 10s
# No notifier: the alerts show on Alertmanager's page (http://127.0.0.1:$alertmanager_port/).
receivers:
  - name: console
YAML
cat > "$work/prometheus.yml" <<YAML
global:
  scrape_interval: 5s
  evaluation_interval: 5s
rule_files:
  - $PWD/alerts/recording-rules.yml
  - $PWD/alerts/alerting-rules.yml
alerting:
  alertmanagers:
    - static_configs:
        - targets: ["127.0.0.1:$alertmanager_port"]
scrape_configs:
  - job_name: breaker-demo
    static_configs:
      - targets: ["127.0.0.1:$demo_port"]
YAML

"$alertmanager" --config.file "$work/alertmanager.yml" --storage.path "$work/alertmanager-data" \
    --web.listen-address "127.0.0.1:$alertmanager_port" --cluster.listen-address= >"$work/alertmanager.log" 2>&1 &
pids+=($!)
prometheus --config.file "$work/prometheus.yml" --storage.tsdb.path "$work/data" \
    --web.listen-address "127.0.0.1:$prometheus_port" >"$work/prometheus.log" 2>&1 &
pids+=($!)
"$demo" --port "$demo_port" --quiet --partners 10 --partner-outages 6 \
    --outage-offset "$outage_offset" --outage-duration "$outage_duration" --outage-period 3600 \
    >"$work/demo.log" 2>&1 &
pids+=($!)
demo_pid=$!
sleep 1
cat <<TEXT

  demo status page   http://127.0.0.1:$demo_port/          metrics: /metrics
  Prometheus         http://127.0.0.1:$prometheus_port/alerts   (rules: /rules)
  Alertmanager       http://127.0.0.1:$alertmanager_port/
  logs               $work/ (the demo's transitions: demo.log)
  Ctrl-C stops all three.

  What to expect (minutes:seconds from now; scrapes and rule evaluations every 5 s):
  0:30       payments and partners 01-06 (6 of the group's 10 keys) go down; their breakers open within seconds.
  0:45-1:10  CircuitBreakerOpen (payments), then CircuitBreakerFleetRejecting (payments) and
             CircuitBreakerGroupKeysRejecting (partners) go pending, as their rate windows fill.
  2:45-3:10  each fires 2 minutes later (their 'for') and reaches Alertmanager.
  3:50       the outage ends; the breakers probe and close.
  ~4:05      CircuitBreakerOpen resolves.
  ~6:10      the two critical alerts resolve: they keep firing 2 minutes after the condition ends, so that an
             instance restarting mid-incident does not resolve the page and send it again.
  The search breaker runs in shadow mode and recommendations is flaky: CircuitBreakerFlapping may come and go.

TEXT
python3 e2e/observe_alerts.py "http://127.0.0.1:$prometheus_port" "http://127.0.0.1:$alertmanager_port" &
pids+=($!)
wait "$demo_pid"
