#!/usr/bin/env bash
# Checks of the Grafana dashboards: every rule of grafana's dashboard-linter by name, the kit's own rules, and every
# query parsed by promtool with its variables substituted (dashboards/check_dashboards.py, run with the kit's
# Python). Needs promtool (Debian package prometheus).
# Usage: dashboards/check.sh [check_dashboards.py options]    Prints "N passed, M failed".
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
exec "$here/../e2e/python.sh" "$here/check_dashboards.py" "$@"
