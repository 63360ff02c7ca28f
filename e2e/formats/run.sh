#!/usr/bin/env bash
# Runs the formats end-to-end test (run_formats_e2e.py) in the repository's virtualenv (.venv/, created with
# requirements.txt beside this script the first time). Needs Debian's prometheus (2.42) and a built breaker-demo
# (BREAKER_DEMO, default .build/debug/breaker-demo). Prints "N passed, M failed".
#
# Usage: e2e/formats/run.sh
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
python=$("$here/venv-python.sh")
# Bounded whatever happens inside: the harness stops itself after E2E_FORMATS_TIMEOUT (170 s), this after 200 s.
exec timeout --kill-after=10 200 "$python" "$here/run_formats_e2e.py" "$@"
