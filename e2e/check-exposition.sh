#!/usr/bin/env bash
# Checks a file of Prometheus text exposition with two independent parsers:
#   1. `promtool check metrics` (Go, the parser Prometheus itself uses), which must exit 0 and print nothing
#      (any output is a lint finding);
#   2. prometheus_client's text parser (Python), through e2e/parse_exposition.py, run with the kit's Python
#      (e2e/python.sh: a virtualenv at .venv with e2e/requirements.txt, created on first use).
#
# Usage: e2e/check-exposition.sh FILE
set -euo pipefail

if [[ $# -ne 1 ]]; then
    echo "usage: $0 FILE" >&2
    exit 2
fi
file=$1
if [[ ! -r $file ]]; then
    echo "error: cannot read $file" >&2
    exit 2
fi
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# 1. promtool
if ! command -v promtool >/dev/null 2>&1; then
    echo "error: promtool not found on PATH (make test installs it)" >&2
    exit 1
fi
promtool_status=0
promtool_output=$(promtool check metrics <"$file" 2>&1) || promtool_status=$?
if [[ $promtool_status -ne 0 || -n $promtool_output ]]; then
    echo "promtool check metrics: FAILED (exit $promtool_status)" >&2
    printf '%s\n' "$promtool_output" >&2
    exit 1
fi
echo "promtool check metrics: ok"

# 2. prometheus_client
"$here/python.sh" "$here/parse_exposition.py" "$file"
