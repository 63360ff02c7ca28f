// swift-tools-version:6.2
// The peer that scripts/bench-peers.sh measures us against: a Hummingbird 2 service whose breakers report through
// swift-metrics into swift-prometheus, served on Hummingbird's own router, the way a Swift service would expose them
// without this package's exporter. A nested package, so that neither `make test` nor a user's build resolves it.
import PackageDescription

import struct Foundation.URL

// The parent package is referenced by path; its identity is the name of the folder it was cloned into.
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()
let rootPackage = root.lastPathComponent.lowercased()

let package = Package(
    name: "peers",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: "../../"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
    ],
    targets: [
        .executableTarget(
            name: "hummingbird-peer",
            dependencies: [
                .product(name: "CircuitBreaker", package: rootPackage),
                .product(name: "CircuitBreakerMonitors", package: rootPackage),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ]
        )
    ]
)
