#!/usr/bin/env bash
# Resolves the package, with the traits `make test` builds, at the lowest version of each dependency that the
# manifests allow among those this machine's package mirror holds, so that every stage of `make test` builds and
# tests against the bottom of the declared ranges (`from: "5.0.1"` must mean that 5.0.1 works). Only the mirror's
# versions resolve here; a dependency with one version in the mirror keeps it.
#
# For each pin of Package.resolved, the lower tags of its repository are tried from the lowest up with
# `swift package resolve NAME --version TAG`; SwiftPM refuses a version outside the ranges, and the next is tried.
# Prints the pins it changed. Usage: scripts/pin-lowest-versions.sh [TRAITS]   (default: HummingbirdSupport)
set -euo pipefail
cd "$(dirname "$0")/.."
traits=(--traits "${1:-HummingbirdSupport}")

swift package "${traits[@]}" resolve >/dev/null

pins() {
    python3 -c '
import json
for pin in json.load(open("Package.resolved"))["pins"]:
    version = pin["state"].get("version")
    if version:
        print(pin["identity"], pin["location"], version)
'
}

# Tags that are plain versions (x.y.z), below `version`, in ascending order.
lower_tags() {
    local location=$1 version=$2
    git ls-remote --tags --refs "$location" 2>/dev/null | sed 's|.*refs/tags/||' | grep -E '^[0-9]+\.[0-9]+\.[0-9]+$' |
        python3 -c '
import sys
current = tuple(int(part) for part in sys.argv[1].split("."))
tags = sorted({tuple(int(part) for part in line.strip().split(".")) for line in sys.stdin if line.strip()})
for tag in tags:
    if tag < current:
        print(".".join(map(str, tag)))
' "$version"
}

while read -r identity location version; do
    for tag in $(lower_tags "$location" "$version"); do
        if swift package "${traits[@]}" resolve "$identity" --version "$tag" >/dev/null 2>&1; then
            echo "pinned $identity at $tag (was $version)"
            break
        fi
    done
done < <(pins)
# A refused attempt may leave the resolution of another pin; resolve once more from the pins as they are now.
swift package "${traits[@]}" resolve >/dev/null
python3 -c '
import json
pins = json.load(open("Package.resolved"))["pins"]
print("resolved: " + ", ".join(f"{pin['"'"'identity'"'"']} {pin['"'"'state'"'"'].get('"'"'version'"'"')}" for pin in pins))
'
