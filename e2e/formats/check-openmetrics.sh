#!/usr/bin/env bash
# Checks a file of OpenMetrics 1.0 text with prometheus_client's OpenMetrics parser (check_openmetrics.py), in the
# repository's virtualenv (.venv/, created with requirements.txt beside this script the first time).
#
# Usage: e2e/formats/check-openmetrics.sh FILE
set -euo pipefail

[[ $# -eq 1 ]] || { echo "usage: $0 FILE" >&2; exit 2; }
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
venv="$root/.venv"
if [[ ! -x $venv/bin/python ]] || ! "$venv/bin/python" -c 'import prometheus_client.openmetrics.parser' 2>/dev/null; then
    echo "creating $venv with $here/requirements.txt" >&2
    python3 -m venv "$venv" >&2
    "$venv/bin/pip" install --quiet -r "$here/requirements.txt" >&2
fi
exec "$venv/bin/python" "$here/check_openmetrics.py" "$1"
