#!/usr/bin/env bash
# Checks a file of Prometheus text exposition with two independent parsers:
#   1. `promtool check metrics` (Go, the parser Prometheus itself uses), which must exit 0 and print nothing
#      (any output is a lint finding);
#   2. prometheus_client's text parser (Python), through scripts/parse_exposition.py.
# The Python parser runs in a virtualenv under .venv/ at the repository root, created (and prometheus_client
# installed) the first time only.
#
# Usage: scripts/check-exposition.sh FILE
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

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv="$root/.venv"

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

# 2. prometheus_client, in a virtualenv created on first use
if [[ ! -x $venv/bin/python ]] || ! "$venv/bin/python" -c 'import prometheus_client' >/dev/null 2>&1; then
    echo "creating $venv with prometheus_client" >&2
    python3 -m venv "$venv" >&2
    "$venv/bin/pip" install --quiet prometheus_client >&2
fi
"$venv/bin/python" "$root/scripts/parse_exposition.py" "$file"
