#!/usr/bin/env bash
# Runs the demo and a real Prometheus on loopback with the repo's rules, scraping it, until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
demo="${BREAKER_DEMO:-.build/debug/breaker-demo}"
demo_port="${DEMO_PORT:-9464}"
prometheus_port="${PROMETHEUS_PORT:-9090}"
work="$(mktemp -d)"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT INT TERM

cat > "$work/prometheus.yml" <<YAML
global:
  scrape_interval: 5s
  evaluation_interval: 5s
rule_files:
  - $PWD/alerts/recording-rules.yml
  - $PWD/alerts/alerting-rules.yml
scrape_configs:
  - job_name: breaker-demo
    static_configs:
      - targets: ["127.0.0.1:$demo_port"]
YAML

prometheus --config.file "$work/prometheus.yml" --storage.tsdb.path "$work/data" \
    --web.listen-address "127.0.0.1:$prometheus_port" >"$work/prometheus.log" 2>&1 &
pids+=($!)
"$demo" --port "$demo_port" &
pids+=($!)
sleep 1
cat <<TEXT

  demo landing page  http://127.0.0.1:$demo_port/
  demo metrics       http://127.0.0.1:$demo_port/metrics
  Prometheus         http://127.0.0.1:$prometheus_port/   (alerts: /alerts, rules: /rules)
  Prometheus log     $work/prometheus.log
  Ctrl-C stops both.

TEXT
wait "${pids[1]}"
