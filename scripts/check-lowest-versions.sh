#!/usr/bin/env bash
# Proves that a consumer can depend on this package at the bottom of every range its manifest declares.
#
# It generates a consumer package in a temporary folder that depends on this package by path, with the
# HummingbirdSupport and AsyncHTTPClientSupport traits on, and requires `exact:` the lowest declared version of each of this package's
# dependencies (read from `swift package dump-package`, so a new dependency is covered without editing this
# script). Then:
#   1. it resolves: the whole graph, Hummingbird's and AsyncHTTPClient's included, is satisfiable at those lower
#      bounds;
#   2. with --build-lowest only, it builds the consumer, which imports MetricsEndpoint (Yams, swift-http-types,
#      PortableRoutes, the internal layer), at the lowest versions. `make test` leaves this step out: its own build
#      already compiles every module at the lowest versions (scripts/pin-lowest-versions.sh runs first);
#   3. unless --resolve-only, it moves Yams to the highest version the mirror holds within the range (6.x) and
#      builds: the code compiles at the top of `"5.0.1"..<"7.0.0"` too (a plain `swift build` of this package, which
#      resolves to the newest versions, shows the same). `make test` passes --resolve-only to stay within its time.
#
# Usage: scripts/check-lowest-versions.sh [--resolve-only] [--build-lowest] [--keep]
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
work=$(mktemp -d "${TMPDIR:-/tmp}/lowest-consumer-XXXXXX")
build_lowest=
resolve_only=
keep=
for argument in "$@"; do
    case "$argument" in
    --build-lowest) build_lowest=1 ;;
    --resolve-only) resolve_only=1 ;;
    --keep) keep=--keep ;;
    *) echo "usage: $0 [--resolve-only] [--build-lowest] [--keep]" >&2; exit 2 ;;
    esac
done
trap '[ "$keep" = --keep ] && echo "kept $work" || rm -rf "$work"' EXIT

identity=$(basename "$root" | tr '[:upper:]' '[:lower:]')
requirements=$(swift package dump-package | python3 -c '
import json, sys
for dependency in json.load(sys.stdin)["dependencies"]:
    source = dependency["sourceControl"][0]
    url = source["location"]["remote"][0]["urlString"]
    requirement = source["requirement"]
    if "range" not in requirement:
        sys.exit(f"{source['"'"'identity'"'"']}: not a version range ({requirement}); declare from: or a range")
    print(source["identity"], url, requirement["range"][0]["lowerBound"])
')

mkdir -p "$work/Sources/Consumer"
{
    echo '// swift-tools-version:6.2'
    echo 'import PackageDescription'
    echo 'let package = Package('
    echo '    name: "lowest-consumer",'
    echo '    platforms: [.macOS(.v15)],'
    echo '    dependencies: ['
    echo "        .package(path: \"$root\", traits: [\"HummingbirdSupport\", \"AsyncHTTPClientSupport\"]),"
    while read -r name url lowest; do
        echo "        .package(url: \"$url\", exact: \"$lowest\"),  // $name: the lowest this package declares"
    done <<<"$requirements"
    echo '    ],'
    echo '    targets: ['
    echo '        .executableTarget('
    echo '            name: "Consumer",'
    echo "            dependencies: [.product(name: \"MetricsEndpoint\", package: \"$identity\")]"
    echo '        ),'
    echo '    ]'
    echo ')'
} >"$work/Package.swift"
cat >"$work/Sources/Consumer/main.swift" <<'SWIFT'
import MetricsEndpoint

// Parses a web configuration with Yams and negotiates a format: this package's code, compiled as a dependency.
let web = try WebConfiguration(parsing: "basic_auth_users:\n")
let format = ExpositionFormat.negotiate(accept: Array("application/openmetrics-text".utf8), offered: [.prometheusText])
print(web.basicAuth == nil, format)
SWIFT

echo "consumer requirements (exact, the lowest declared):"
sed -n 's|^        \.package(url: "\(.*\)", exact: "\(.*\)"),.*|  \1 \2|p' "$work/Package.swift"
cd "$work"
swift package resolve >"$work/resolve.log" 2>&1 || { cat "$work/resolve.log" >&2; echo "FAILED: the lowest versions do not resolve" >&2; exit 1; }
if [ -n "$build_lowest" ]; then
    swift build >"$work/build-lowest.log" 2>&1 || { tail -40 "$work/build-lowest.log" >&2; echo "FAILED: build at the lowest versions" >&2; exit 1; }
    echo "lowest versions: resolved and built ($(swift run -q Consumer))"
else
    echo "lowest versions: resolved ($(grep -c '"identity"' Package.resolved) packages); make test builds at them"
fi

[ -z "$resolve_only" ] || exit 0

highest_yams=$(git ls-remote --tags --refs https://github.com/jpsim/Yams.git | sed 's|.*refs/tags/||' |
    grep -E '^[0-9]+\.[0-9]+\.[0-9]+$' | sort -V | awk -F. '$1 < 7' | tail -1)
sed -i "s|\(Yams.git\", exact: \)\"[^\"]*\"|\1\"$highest_yams\"|" Package.swift
swift package resolve >>"$work/resolve.log" 2>&1 || { cat "$work/resolve.log" >&2; echo "FAILED: Yams $highest_yams does not resolve" >&2; exit 1; }
swift build >"$work/build-highest-yams.log" 2>&1 || { tail -40 "$work/build-highest-yams.log" >&2; echo "FAILED: build with Yams $highest_yams" >&2; exit 1; }
echo "Yams $highest_yams (the top of the range in the mirror): resolved and built"
