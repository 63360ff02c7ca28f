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
        .library(name: "PortableRoutes", targets: ["PortableRoutes"]),
        .library(name: "MetricsEndpoint", targets: ["MetricsEndpoint"]),
        .library(name: "MetricsExporter", targets: ["MetricsExporter"]),
        .library(name: "CircuitBreakerOperations", targets: ["CircuitBreakerOperations"]),
        // Empty unless their traits are on.
        .library(name: "CircuitBreakerHummingbird", targets: ["CircuitBreakerHummingbird"]),
        .library(name: "CircuitBreakerAsyncHTTPClient", targets: ["CircuitBreakerAsyncHTTPClient"]),
        .executable(name: "breaker-demo", targets: ["breaker-demo"]),
    ],
    // Integrations that pull heavy dependencies are opt-in traits, off by default (hummingbird's own shape):
    // `.package(url: …, from: "0.3.0", traits: ["HummingbirdSupport", "AsyncHTTPClientSupport"])`.
    traits: [
        .trait(
            name: "HummingbirdSupport",
            description: "CircuitBreakerHummingbird: the operations routes and /metrics on a Hummingbird 2 router."
        ),
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
        // Yams 5 and 6 both work (YAMLReading finds duplicate keys itself where Yams 5 does not).
        .package(url: "https://github.com/jpsim/Yams.git", "5.0.1"..<"7.0.0"),
        .package(url: "https://github.com/apple/swift-protobuf.git", from: "1.39.0"),
        .package(url: "https://github.com/apple/swift-distributed-tracing.git", from: "1.7.3"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        // Only for the HummingbirdSupport trait: a build without it never resolves nor compiles Hummingbird. Its
        // own default traits (swift-configuration, full Foundation) stay off; a service that wants them turns them
        // on in its own dependency on hummingbird.
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1", traits: []),
        // Only for the AsyncHTTPClientSupport trait.
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        // For the client address in CircuitBreakerHummingbird's request context, and the NIOCore and NIOHTTP1 types
        // of CircuitBreakerAsyncHTTPClient's API (with their traits only).
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
    ],
    targets: [
        // The internal layer at the bottom (not a product): the one lock, Duration to nanoseconds, the state table,
        // the latest-snapshot cell, exposition text helpers and the metric contract. Every module may use it.
        .target(name: "CircuitBreakerInternals", swiftSettings: swiftSettings),
        // Routes any transport can serve: methods, a path pattern, an access level, a body limit and a handler from
        // a request value to a response value, in swift-http-types' vocabulary (and nothing else).
        .target(
            name: "PortableRoutes",
            dependencies: [.product(name: "HTTPTypes", package: "swift-http-types")],
            swiftSettings: swiftSettings
        ),
        // libcrypt's bcrypt (`crypt_r`), for checking basic-auth passwords without libmicrohttpd.
        .systemLibrary(name: "CCrypt", providers: [.apt(["libcrypt-dev"])]),
        // What any metrics endpoint needs, whatever serves it: the exposition sources and their negotiation, the
        // exporter-toolkit web configuration (Yams) and basic-auth checks against its bcrypt hashes.
        .target(
            name: "MetricsEndpoint",
            dependencies: [
                "CCrypt",
                "CircuitBreakerInternals",
                "PortableRoutes",
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: swiftSettings
        ),
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
                "MetricsEndpoint",
                "PortableRoutes",
                "PrometheusClientModel",
                .product(name: "HTTPTypes", package: "swift-http-types"),
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
                "PortableRoutes",
                .product(name: "HTTPTypes", package: "swift-http-types"),
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
        // Every file is inside `#if HummingbirdSupport`: without the trait the module is empty and Hummingbird is
        // neither resolved nor built.
        .target(
            name: "CircuitBreakerHummingbird",
            dependencies: [
                "CircuitBreakerInternals",
                "MetricsEndpoint",
                "PortableRoutes",
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Hummingbird", package: "hummingbird", condition: .when(traits: ["HummingbirdSupport"])),
                .product(name: "NIOCore", package: "swift-nio", condition: .when(traits: ["HummingbirdSupport"])),
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
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Instrumentation", package: "swift-distributed-tracing"),
                // The partners group over real HTTP (AsyncHTTPClient); without the trait the demo calls them in
                // process, and neither AsyncHTTPClient nor SwiftNIO is resolved for it.
                .target(name: "CircuitBreakerAsyncHTTPClient", condition: .when(traits: ["AsyncHTTPClientSupport"])),
                .product(
                    name: "AsyncHTTPClient",
                    package: "async-http-client",
                    condition: .when(traits: ["AsyncHTTPClientSupport"])
                ),
                .product(name: "NIOCore", package: "swift-nio", condition: .when(traits: ["AsyncHTTPClientSupport"])),
            ],
            swiftSettings: swiftSettings
        ),
        // The tests' own HTTP client for our servers on loopback, and the traits of tests that need a program from
        // outside the toolchain (curl, promtool, htpasswd, openssl, python3).
        .target(
            name: "TestSupport",
            path: "Tests/TestSupport",
            swiftSettings: swiftSettings
        ),
        // The embedding e2e's service (e2e/hummingbird): a Hummingbird app with the breakers mounted on its router.
        // A target of this package rather than a nested package, so that `make test` builds it in the one debug
        // build the unit tests use; without the trait it only says so.
        .executableTarget(
            name: "breaker-hummingbird-service",
            dependencies: [
                "CircuitBreaker",
                "CircuitBreakerHummingbird",
                "CircuitBreakerOperations",
                "CircuitBreakerPrometheus",
                "MetricsEndpoint",
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Hummingbird", package: "hummingbird", condition: .when(traits: ["HummingbirdSupport"])),
            ],
            path: "e2e/hummingbird/Service",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CircuitBreakerInternalsTests",
            dependencies: ["CircuitBreakerInternals"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CircuitBreakerTests",
            dependencies: ["CircuitBreaker", "CircuitBreakerInternals", "CircuitBreakerTestKit", "TestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CircuitBreakerPrometheusTests",
            dependencies: [
                "CircuitBreakerPrometheus",
                "CircuitBreakerInternals",
                "CircuitBreakerTestKit",
                "TestSupport",
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
                "TestSupport",
                "MetricsExporter",
                "PortableRoutes",
                .product(name: "HTTPTypes", package: "swift-http-types"),
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
        // Every file is inside `#if HummingbirdSupport`: without the trait the target is empty.
        .testTarget(
            name: "CircuitBreakerHummingbirdTests",
            dependencies: [
                "CircuitBreaker",
                "CircuitBreakerHummingbird",
                "CircuitBreakerInternals",
                "CircuitBreakerOperations",
                "CircuitBreakerPrometheus",
                "MetricsEndpoint",
                "PortableRoutes",
                "TestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Hummingbird", package: "hummingbird", condition: .when(traits: ["HummingbirdSupport"])),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "MetricsExporterTests",
            dependencies: [
                "CircuitBreakerInternals",
                "TestSupport",
                "MetricsEndpoint",
                "MetricsExporter",
                "PortableRoutes",
                "PrometheusClientModel",
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
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
            dependencies: [
                "CircuitBreaker", "CircuitBreakerOperations", "MetricsEndpoint", "MetricsExporter", "PortableRoutes",
            ],
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
