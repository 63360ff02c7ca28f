#!/usr/bin/env bash
# The embedding e2e (hummingbird_e2e.py): a Hummingbird service with the breakers mounted on its router, scraped by a
# real Prometheus, overridden by an admin through the service's own port. Needs Debian's prometheus, apache2-utils
# (htpasswd), curl and the service built with the trait (BREAKER_DEMO, default
# .build/debug/breaker-hummingbird-service). Bounded: the run stops itself after 170 s, this script after 200 s.
# Usage: e2e/hummingbird/run.sh [--demo PATH] [--keep]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
export BREAKER_DEMO="${BREAKER_DEMO:-.build/debug/breaker-hummingbird-service}"
exec timeout --kill-after=10 200 e2e/python.sh e2e/hummingbird/hummingbird_e2e.py "$@"
