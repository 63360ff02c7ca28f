#!/usr/bin/env bash
# Checks a file of OpenMetrics 1.0 text with prometheus_client's OpenMetrics parser (check_openmetrics.py), in the
# repository's virtualenv (.venv/, created with requirements.txt beside this script the first time).
#
# Usage: e2e/formats/check-openmetrics.sh FILE
set -euo pipefail

[[ $# -eq 1 ]] || { echo "usage: $0 FILE" >&2; exit 2; }
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
python=$("$here/venv-python.sh")
exec "$python" "$here/check_openmetrics.py" "$1"
