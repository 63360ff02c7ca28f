#!/usr/bin/env bash
# Instruction counts of one exposition render (issue 23), from callgrind: stable where timings on this shared
# machine are not. Builds scripts/render-profile (a standalone render loop, release) of the checkout this script is
# in, or of ROOT, and runs it under `valgrind --tool=callgrind`, counting only the measured renders.
#
# Usage: scripts/callgrind-render.sh [ROOT]   Environment: FORMATS (default "text openmetrics protobuf"),
#        BREAKERS (1000), CHANGED ("10 1000"), RENDERS (5), OPTIONS ("", or "durations", "keys": a group of BREAKERS
#        keys instead of breakers), ANNOTATE=1 to print the top functions (inclusive) of each run.
# Prints one line per case: format, breakers, changed, options, instructions per render.
# Outside `make test`; needs valgrind (apt-get install valgrind).
set -euo pipefail

root=${1:-$(cd "$(dirname "$0")/.." && pwd)}
formats=${FORMATS:-text openmetrics protobuf}
breakers=${BREAKERS:-1000}
changed=${CHANGED:-10 1000}
renders=${RENDERS:-5}
options=${OPTIONS:-}
command -v valgrind >/dev/null || { echo "error: valgrind not found (apt-get install valgrind)" >&2; exit 2; }
[[ -f $root/scripts/render-profile/Package.swift ]] || { echo "error: $root has no scripts/render-profile" >&2; exit 2; }

(cd "$root/scripts/render-profile" && swift build -c release --product render-profile 2>&1 | grep -E "error|Compiling|Build" >&2 || true)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# valgrind's debug-info reader gives up on the DWARF that swiftc emits ("Possibly corrupted debuginfo file"): a copy
# without it, symbols kept, is what runs.
binary=$work/render-profile
cp "$root/scripts/render-profile/.build/release/render-profile" "$binary"
strip --strip-debug "$binary"

for format in $formats; do
    for count in $changed; do
        out=$work/callgrind.$format.$count
        # shellcheck disable=SC2086 # options are words
        valgrind --tool=callgrind --toggle-collect='*measuredRender*' --callgrind-out-file="$out" \
            "$binary" "$format" "$breakers" "$count" "$renders" $options >/dev/null 2>"$work/log"
        total=$(awk '/^summary:|^totals:/ { print $2; exit }' "$out")
        printf '%-12s %6s breakers %6s changed %-10s %12d instructions per render\n' \
            "$format" "$breakers" "$count" "${options:--}" $((total / renders))
        if [[ ${ANNOTATE:-} == 1 ]]; then
            callgrind_annotate --inclusive=yes "$out" 2>/dev/null | sed -n '1,60p' | cut -c1-200
        fi
    done
done
