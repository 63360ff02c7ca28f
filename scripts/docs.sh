#!/usr/bin/env bash
# Builds the DocC documentation of every public module as one combined archive, with warnings as errors, so that a
# broken symbol link fails the build. The DocC plugin is added to the package only for this build (BREAKER_DOCS), so
# it never enters users' dependency graphs.
#
# It builds in the main .build with the flags `make test` gives every stage (the HummingbirdSupport trait, so that
# CircuitBreakerHummingbird has its content, and warnings as errors): the plugin then reuses the unit tests' build and
# only extracts symbol graphs, where a scratch folder of its own would compile everything a second time.
#
# Usage: scripts/docs.sh [BUILD FLAGS…]
#   (default: --traits HummingbirdSupport,AsyncHTTPClientSupport -Xswiftc -warnings-as-errors)
# Output: .build/plugins/Swift-DocC/outputs/swift-circuit-breaker.doccarchive
set -euo pipefail
cd "$(dirname "$0")/.."
build_flags=("$@")
[ ${#build_flags[@]} -gt 0 ] || build_flags=(--traits HummingbirdSupport,AsyncHTTPClientSupport -Xswiftc -warnings-as-errors)

# The library products, from the package description itself (the executable demo has no documentation catalog).
modules=$(swift package dump-package | python3 -c '
import json, sys
package = json.load(sys.stdin)
for product in package["products"]:
    if "library" in product["type"]:
        print(" ".join(product["targets"]))
')
arguments=()
for module in $modules; do
    [ -d "Sources/$module/Documentation.docc" ] || { echo "error: $module has no Documentation.docc catalog" >&2; exit 1; }
    arguments+=(--target "$module")
done
BREAKER_DOCS=1 swift package "${build_flags[@]}" --disable-sandbox generate-documentation \
    "${arguments[@]}" --enable-experimental-combined-documentation --warnings-as-errors
