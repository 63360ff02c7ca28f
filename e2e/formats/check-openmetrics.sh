#!/usr/bin/env bash
# Checks a file of OpenMetrics 1.0 text with prometheus_client's OpenMetrics parser (check_openmetrics.py), in the
# repository's virtualenv (e2e/python.sh).
#
# Usage: e2e/formats/check-openmetrics.sh FILE
set -euo pipefail

[[ $# -eq 1 ]] || { echo "usage: $0 FILE" >&2; exit 2; }
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
exec "$root/e2e/python.sh" "$root/e2e/formats/check_openmetrics.py" "$1"
