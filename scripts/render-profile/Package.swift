// swift-tools-version:6.2
// Standalone programs for measuring the exposition (issue 23), outside `make test`:
// - render-profile: a render loop for `valgrind --tool=callgrind` (scripts/callgrind-render.sh): instruction counts
//   of the rendering, which are stable where timings on this shared machine are not;
// - keyed-server: a group of keyed breakers served by MetricsServer, for a scrape's latency at 10,000 keys
//   (scripts/bench-keyed-scrape.sh).
import PackageDescription

import struct Foundation.URL

// The parent package is referenced by path; its identity is the name of the folder it was cloned into.
let rootPackage = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().lastPathComponent.lowercased()

let package = Package(
    name: "render-profile",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: "../.."),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
    ],
    targets: [
        .executableTarget(
            name: "render-profile",
            dependencies: [
                .product(name: "CircuitBreaker", package: rootPackage),
                .product(name: "CircuitBreakerPrometheus", package: rootPackage),
            ]
        ),
        .executableTarget(
            name: "keyed-server",
            dependencies: [
                .product(name: "CircuitBreaker", package: rootPackage),
                .product(name: "CircuitBreakerPrometheus", package: rootPackage),
                .product(name: "MetricsExporter", package: rootPackage),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
    ]
)
