#!/usr/bin/env bash
# The demo's other ways of exporting (demo_modes_e2e.py): TLS and basic auth from a web config, and the
# swift-metrics backend, each scraped by a real Prometheus. Needs Debian's prometheus, openssl, apache2-utils
# (htpasswd) and a built demo (BREAKER_DEMO, default .build/debug/breaker-demo). Bounded: the run stops itself after
# 170 s, this script after 200 s. Usage: e2e/demo/run.sh [--demo PATH] [--keep]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
exec timeout --kill-after=10 200 e2e/python.sh e2e/demo/demo_modes_e2e.py "$@"
