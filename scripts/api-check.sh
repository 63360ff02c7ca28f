#!/usr/bin/env bash
# The public API of every library module against the last release, with the API digester
# (swift package diagnose-api-breaking-changes): a breaking change fails the check, so the API changes only on purpose.
#
# api-baseline/RELEASE names the release and its commit; the release's API dumps are committed under
# api-baseline/<commit>/, so this builds only the current package, in the shared debug build when given make test's
# build flags, and never checks out or builds the release again.
#
# Usage: scripts/api-check.sh [BUILD FLAGS…]
# After a release made on purpose: tag it, put "TAG COMMIT" in api-baseline/RELEASE, and run
#   swift package BUILD FLAGS… diagnose-api-breaking-changes COMMIT --baseline-dir api-baseline --regenerate-baseline
set -euo pipefail
cd "$(dirname "$0")/.."
read -r release commit <api-baseline/RELEASE
[ -d "api-baseline/$commit" ] || { echo "api-check: no API dumps for $release in api-baseline/$commit" >&2; exit 2; }
echo "api-check: the public API against $release ($commit)"
swift package "$@" diagnose-api-breaking-changes "$commit" --baseline-dir api-baseline
