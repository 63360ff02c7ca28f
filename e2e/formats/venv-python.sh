#!/usr/bin/env bash
# Prints the path of the repository virtualenv's python (.venv/), creating the virtualenv with requirements.txt
# beside this script the first time (or when prometheus_client is missing from it).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
venv="$(cd "$here/../.." && pwd)/.venv"
if [[ ! -x $venv/bin/python ]] || ! "$venv/bin/python" -c 'import prometheus_client.openmetrics.parser' 2>/dev/null; then
    echo "creating $venv with $here/requirements.txt" >&2
    python3 -m venv "$venv" >&2
    "$venv/bin/pip" install --quiet -r "$here/requirements.txt" >&2
fi
echo "$venv/bin/python"
