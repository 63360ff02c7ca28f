// swift-tools-version:6.2
import PackageDescription

import class Foundation.ProcessInfo

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "swift-circuit-breaker",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "CircuitBreaker", targets: ["CircuitBreaker"]),
        .library(name: "CircuitBreakerTestKit", targets: ["CircuitBreakerTestKit"]),
        .library(name: "CircuitBreakerPrometheus", targets: ["CircuitBreakerPrometheus"]),
        .library(name: "CircuitBreakerMonitors", targets: ["CircuitBreakerMonitors"]),
        .library(name: "MetricsExporter", targets: ["MetricsExporter"]),
        .library(name: "CircuitBreakerOperations", targets: ["CircuitBreakerOperations"]),
        // Empty unless the AsyncHTTPClientSupport trait is on.
        .library(name: "CircuitBreakerAsyncHTTPClient", targets: ["CircuitBreakerAsyncHTTPClient"]),
        .executable(name: "breaker-demo", targets: ["breaker-demo"]),
    ],
    // Integrations that pull heavy dependencies are opt-in traits, off by default (hummingbird's shape):
    // `.package(url: …, from: "…", traits: ["AsyncHTTPClientSupport"])`.
    traits: [
        .trait(
            name: "AsyncHTTPClientSupport",
            description: "CircuitBreakerAsyncHTTPClient: a breaker per origin around AsyncHTTPClient's HTTPClient."
        ),
        .default(enabledTraits: []),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/jpsim/Yams.git", exact: "6.2.2"),
        .package(url: "https://github.com/apple/swift-protobuf.git", exact: "1.39.0"),
        .package(url: "https://github.com/apple/swift-distributed-tracing.git", exact: "1.7.3"),
        // Only for the AsyncHTTPClientSupport trait (swift-nio for the NIOCore and NIOHTTP1 types of its API).
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.100.0"),
    ],
    targets: [
        // The internal layer at the bottom (not a product): the one lock, Duration to nanoseconds, the state table,
        // the latest-snapshot cell, exposition text helpers and the metric contract. Every module may use it.
        .target(name: "CircuitBreakerInternals", swiftSettings: swiftSettings),
        .target(name: "CircuitBreaker", dependencies: ["CircuitBreakerInternals"], swiftSettings: swiftSettings),
        .target(
            name: "CircuitBreakerTestKit",
            dependencies: ["CircuitBreaker", "CircuitBreakerInternals"],
            swiftSettings: swiftSettings
        ),
        // The Prometheus exposition data model (io.prometheus.client) as swift-protobuf messages, generated from
        // the .proto files beside them (see its README.md). Internal: not a product.
        .target(
            name: "PrometheusClientModel",
            dependencies: [.product(name: "SwiftProtobuf", package: "swift-protobuf")],
            exclude: [
                "README.md", "generate.sh", "exemplar.proto", "family.proto", "histogram.proto", "labels.proto",
                "values.proto",
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "CircuitBreakerPrometheus",
            dependencies: [
                "CircuitBreaker",
                "CircuitBreakerInternals",
                "PrometheusClientModel",
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "Instrumentation", package: "swift-distributed-tracing"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "CircuitBreakerMonitors",
            dependencies: [
                "CircuitBreaker",
                "CircuitBreakerInternals",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ],
            swiftSettings: swiftSettings
        ),
        .systemLibrary(
            name: "CMicroHTTPD",
            pkgConfig: "libmicrohttpd",
            providers: [.apt(["libmicrohttpd-dev"])]
        ),
        .target(
            name: "MetricsExporter",
            dependencies: [
                "CMicroHTTPD",
                "CircuitBreakerInternals",
                "PrometheusClientModel",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "CircuitBreakerOperations",
            dependencies: [
                "CircuitBreaker",
                "CircuitBreakerInternals",
                "MetricsExporter",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // Keyed breakers around AsyncHTTPClient; its sources compile to an empty module without the trait, and
        // AsyncHTTPClient and SwiftNIO are then neither resolved nor built.
        .target(
            name: "CircuitBreakerAsyncHTTPClient",
            dependencies: [
                "CircuitBreaker",
                "CircuitBreakerInternals",
                .product(
                    name: "AsyncHTTPClient",
                    package: "async-http-client",
                    condition: .when(traits: ["AsyncHTTPClientSupport"])
                ),
                .product(name: "NIOCore", package: "swift-nio", condition: .when(traits: ["AsyncHTTPClientSupport"])),
                .product(name: "NIOHTTP1", package: "swift-nio", condition: .when(traits: ["AsyncHTTPClientSupport"])),
                .product(name: "Logging", package: "swift-log", condition: .when(traits: ["AsyncHTTPClientSupport"])),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "breaker-demo",
            dependencies: [
                "CircuitBreaker",
                "CircuitBreakerPrometheus",
                "CircuitBreakerMonitors",
                "CircuitBreakerOperations",
                "MetricsExporter",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Instrumentation", package: "swift-distributed-tracing"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CircuitBreakerInternalsTests",
            dependencies: ["CircuitBreakerInternals"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CircuitBreakerTests",
            dependencies: ["CircuitBreaker", "CircuitBreakerInternals", "CircuitBreakerTestKit"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CircuitBreakerPrometheusTests",
            dependencies: [
                "CircuitBreakerPrometheus",
                "CircuitBreakerInternals",
                "CircuitBreakerTestKit",
                "PrometheusClientModel",
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "Instrumentation", package: "swift-distributed-tracing"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "InMemoryTracing", package: "swift-distributed-tracing"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CircuitBreakerMonitorsTests",
            dependencies: [
                "CircuitBreakerMonitors",
                "CircuitBreakerInternals",
                "CircuitBreakerTestKit",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CircuitBreakerOperationsTests",
            dependencies: [
                "CircuitBreakerOperations",
                "CircuitBreakerInternals",
                "CircuitBreakerPrometheus",
                "MetricsExporter",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: swiftSettings
        ),
        // Real HTTP on loopback: a small SwiftNIO server in the test target plays the upstreams.
        .testTarget(
            name: "CircuitBreakerAsyncHTTPClientTests",
            dependencies: [
                "CircuitBreakerAsyncHTTPClient",
                "CircuitBreaker",
                "CircuitBreakerInternals",
                "CircuitBreakerTestKit",
                .product(
                    name: "AsyncHTTPClient",
                    package: "async-http-client",
                    condition: .when(traits: ["AsyncHTTPClientSupport"])
                ),
                .product(name: "NIOCore", package: "swift-nio", condition: .when(traits: ["AsyncHTTPClientSupport"])),
                .product(name: "NIOPosix", package: "swift-nio", condition: .when(traits: ["AsyncHTTPClientSupport"])),
                .product(name: "NIOHTTP1", package: "swift-nio", condition: .when(traits: ["AsyncHTTPClientSupport"])),
                .product(
                    name: "Tracing",
                    package: "swift-distributed-tracing",
                    condition: .when(traits: ["AsyncHTTPClientSupport"])
                ),
                .product(
                    name: "InMemoryTracing",
                    package: "swift-distributed-tracing",
                    condition: .when(traits: ["AsyncHTTPClientSupport"])
                ),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "MetricsExporterTests",
            dependencies: ["MetricsExporter", "CircuitBreakerInternals"],
            swiftSettings: swiftSettings
        ),
    ]
)

// The libFuzzer targets (`make fuzz`, Fuzz/README.md): one executable built with `-sanitize=fuzzer` into its own
// scratch path. Like the DocC plugin, it exists only when BREAKER_FUZZ is set, so users never build it.
if ProcessInfo.processInfo.environment["BREAKER_FUZZ"] != nil {
    package.targets.append(
        .executableTarget(
            name: "breaker-fuzz",
            dependencies: ["CircuitBreaker", "CircuitBreakerOperations", "MetricsExporter"],
            path: "Fuzz/Sources/breaker-fuzz",
            swiftSettings: swiftSettings
        )
    )
}

// The DocC plugin builds the documentation (`make docs`). It stays out of users' dependency graphs: only a build
// with BREAKER_DOCS set (as `make docs` does) adds it.
if ProcessInfo.processInfo.environment["BREAKER_DOCS"] != nil {
    package.dependencies.append(.package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"))
}
