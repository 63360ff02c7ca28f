#!/usr/bin/env bash
# Regenerates the *.pb.swift files from the *.proto files beside this script: a one-time developer step, run after
# editing a .proto. The generated Swift is committed, so builds and tests need neither protoc nor the plugin.
#
# Needs `protoc` (Debian: protobuf-compiler). Builds swift-protobuf's protoc-gen-swift from the package's own
# resolved checkout (the version in Package.swift, 1.39.0) unless PROTOC_GEN_SWIFT names one.
#
# Usage: Sources/PrometheusClientModel/generate.sh
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root"

command -v protoc >/dev/null || { echo "error: protoc not found (apt-get install protobuf-compiler)" >&2; exit 1; }

swift package resolve
checkout="$root/.build/checkouts/swift-protobuf"
[[ -d $checkout ]] || { echo "error: no swift-protobuf checkout at $checkout" >&2; exit 1; }

plugin=${PROTOC_GEN_SWIFT:-}
if [[ -z $plugin ]]; then
    swift build --package-path "$checkout" --product protoc-gen-swift
    plugin="$checkout/.build/debug/protoc-gen-swift"
fi

protoc \
    --plugin=protoc-gen-swift="$plugin" \
    --proto_path="$here" \
    --proto_path="$checkout/Protos/Sources/SwiftProtobuf" \
    --swift_opt=Visibility=Package \
    --swift_out="$here" \
    "$here"/*.proto
echo "generated: $(cd "$here" && ls *.pb.swift | tr "\n" " ")"
