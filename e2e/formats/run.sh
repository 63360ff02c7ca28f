#!/usr/bin/env bash
# The formats end-to-end test (formats_e2e.py): one breaker-demo scraped by two real Prometheus 2.42 servers, one
# negotiating protobuf (native histograms) and one OpenMetrics. Needs Debian's prometheus and a built demo
# (BREAKER_DEMO, default .build/debug/breaker-demo). Prints "formats: N passed, M failed"; exits non-zero on a
# failure. Bounded: the run stops itself after 170 s, this script after 200 s.
#
# Usage: e2e/formats/run.sh [--demo PATH] [--keep]
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
exec timeout --kill-after=10 200 e2e/python.sh e2e/formats/formats_e2e.py "$@"
