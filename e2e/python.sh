#!/usr/bin/env bash
# Runs Python from the operations kit's virtualenv (.venv at the repository root), creating it, or updating it when
# e2e/requirements.txt changed, on first use. Needs python3 with venv (Debian: python3-venv) and PyPI.
# Usage: e2e/python.sh SCRIPT.py [ARGUMENTS...]
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.venv"
requirements="$root/e2e/requirements.txt"
stamp="$venv/.requirements.sha256"
wanted="$(sha256sum "$requirements" | cut -d' ' -f1)"

if [[ ! -x $venv/bin/python || "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]]; then
    mkdir -p "$venv"
    # One installer at a time: tests may start several kit scripts at once.
    exec 9>"$venv/.lock"
    flock 9
    if [[ ! -x $venv/bin/python || "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]]; then
        echo "e2e/python.sh: installing e2e/requirements.txt into $venv" >&2
        python3 -m venv "$venv" >&2
        "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements" >&2
        echo "$wanted" >"$stamp"
    fi
    flock -u 9
fi
exec "$venv/bin/python" "$@"
