#!/usr/bin/env bash
# Builds the libFuzzer targets (Fuzz/, AddressSanitizer and coverage, into .build-fuzz) and runs each for SECONDS,
# starting from the committed seed corpus (Fuzz/Corpus/TARGET, copied: new inputs stay in .build-fuzz/corpus).
# Prints the executions of each target; a crash, a leak or a failed property stops with its input saved in
# .build-fuzz/artifacts and a non-zero exit.
# Usage: scripts/fuzz.sh [SECONDS] [TARGET...]   (default 20 s each, every target)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
seconds="${1:-20}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(ttl override-body state-file accept path page-query)
SWIFT="${SWIFT:-swift}"

# libFuzzer's driver without its main (Fuzz/Sources/breaker-fuzz/main.swift is the program's main and calls
# LLVMFuzzerRunDriver): SwiftPM gives every executable target a main of its own, which -sanitize=fuzzer's would
# collide with.
runtime="$(ls "$(dirname "$(dirname "$(command -v "$SWIFT")")")"/lib/clang/*/lib/linux/libclang_rt.fuzzer_no_main-*.a | head -1)"
[ -f "$runtime" ] || { echo "fuzz.sh: no libclang_rt.fuzzer_no_main in the toolchain" >&2; exit 2; }
build_started=$SECONDS
BREAKER_FUZZ=1 "$SWIFT" build --scratch-path .build-fuzz --product breaker-fuzz \
    -Xswiftc -sanitize=address -Xswiftc -sanitize-coverage=edge,trace-cmp,inline-8bit-counters,pc-table \
    -Xlinker "$runtime" -Xlinker -lstdc++
echo "fuzz.sh: build took $((SECONDS - build_started)) s"

mkdir -p .build-fuzz/artifacts
status=0
summary=()
for target in "${targets[@]}"; do
    corpus=".build-fuzz/corpus/$target"
    mkdir -p "$corpus"
    cp -n Fuzz/Corpus/"$target"/* "$corpus"/ 2>/dev/null || true
    log=".build-fuzz/$target.log"
    echo "fuzz.sh: $target for $seconds s"
    # -rss_limit_mb: the state-file target parses JSON with Foundation, which may use a few hundred MiB under ASan.
    if ! ASAN_OPTIONS=detect_leaks=1 timeout $((seconds + 120)) .build-fuzz/debug/breaker-fuzz "$target" \
        -max_total_time="$seconds" -print_final_stats=1 -rss_limit_mb=4096 -timeout=10 \
        -artifact_prefix=.build-fuzz/artifacts/"$target"- "$corpus" >"$log" 2>&1; then
        status=1
        echo "fuzz.sh: $target FAILED; the end of its log ($log):"
        tail -40 "$log"
    fi
    runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)"
    rate="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)"
    summary+=("$target: ${runs:-?} executions in $seconds s (${rate:-?}/s), corpus $(ls "$corpus" | wc -l) inputs")
done
printf 'fuzz.sh: %s\n' "${summary[@]}"
exit "$status"
