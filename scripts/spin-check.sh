#!/usr/bin/env bash
# Checks the breaker's admission protocol (Verification/admission.pml) with spin, for every interleaving of three
# threads: the protocol must hold every property, and each mutation must be caught (see Verification/MAPPING.md).
#
# Usage: scripts/spin-check.sh            OPS=N (default 4) sets the calls and reads the threads share.
# Memory is capped (MEMLIM, in MB) so a larger OPS fails with a message rather than exhausting the machine.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v spin >/dev/null || { echo "spin is missing (Debian package spin; scripts/install-deps.sh test)" >&2; exit 2; }
ops="${OPS:-4}"
memlimit="${MEMLIM:-4096}"
work=.build/spin
mkdir -p "$work"
cp Verification/admission.pml "$work/"
cd "$work"

# run NAME EXPECT FLAGS...: EXPECT is "holds" (no error, search complete) or the text of the assertion that must fail.
run() {
    local name=$1 expect=$2
    shift 2
    rm -f pan pan.* admission.pml.trail
    spin -DOPS="$ops" "$@" -a admission.pml >/dev/null
    gcc -O2 -w -DSAFETY -DCOLLAPSE -DMEMLIM="$memlimit" -o pan pan.c
    local started=$SECONDS
    ./pan -m500000 >"$name.out" 2>&1 || true
    local states errors
    states=$(awk '/states, stored/ { print $1; exit }' "$name.out")
    errors=$(sed -n 's/.*errors: \([0-9]*\).*/\1/p' "$name.out" | head -1)
    if [ "$expect" = holds ]; then
        if [ "$errors" != 0 ] || grep -q "Search not completed\|reached -DMEMLIM" "$name.out"; then
            echo "spin: $name FAILED (errors: ${errors:-?})" >&2
            grep -E "assertion violated|invalid end state|Search not completed|MEMLIM" "$name.out" >&2 || true
            [ -f admission.pml.trail ] && spin -DOPS="$ops" "$@" -t -p admission.pml | tail -40 >&2
            return 1
        fi
        echo "spin: $name holds: $states states, every interleaving, $((SECONDS - started)) s"
    else
        if ! grep -qF "assertion violated ($expect" "$name.out"; then
            echo "spin: $name was NOT caught (expected: assertion $expect)" >&2
            return 1
        fi
        echo "spin: $name caught: $(grep -m1 'assertion violated' "$name.out" | sed 's/^pan:1: //')"
    fi
}

run protocol holds
run reach-two-half-open-periods "halfPeriods<2" -DREACH_TWO_PERIODS
run report-after-unlock "g==(lastDelivered+1)" -DREPORT_AFTER_UNLOCK
run extra-trial "holding[cgen]<=1" -DMUTANT_EXTRA_TRIAL
run no-generation-guard "(wg==0)||(wg==cgen)" -DMUTANT_NO_GENERATION_GUARD
run no-trip-guard "(wg==0)||(wg==cgen)" -DMUTANT_NO_TRIP_GUARD
run backdated-deadline "(trialGen[p]!=cgen)" -DMUTANT_BACKDATED_DEADLINE
