// swift-tools-version:6.2
import PackageDescription

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
        .executable(name: "breaker-demo", targets: ["breaker-demo"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
    ],
    targets: [
        .target(name: "CircuitBreaker", swiftSettings: swiftSettings),
        .target(name: "CircuitBreakerTestKit", dependencies: ["CircuitBreaker"], swiftSettings: swiftSettings),
        .target(
            name: "CircuitBreakerPrometheus",
            dependencies: [
                "CircuitBreaker",
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "CircuitBreakerMonitors",
            dependencies: [
                "CircuitBreaker",
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
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "breaker-demo",
            dependencies: [
                "CircuitBreaker",
                "CircuitBreakerPrometheus",
                "CircuitBreakerMonitors",
                "MetricsExporter",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CircuitBreakerTests",
            dependencies: ["CircuitBreaker", "CircuitBreakerTestKit"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CircuitBreakerPrometheusTests",
            dependencies: [
                "CircuitBreakerPrometheus",
                "CircuitBreakerTestKit",
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CircuitBreakerMonitorsTests",
            dependencies: [
                "CircuitBreakerMonitors",
                "CircuitBreakerTestKit",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "MetricsExporterTests",
            dependencies: ["MetricsExporter"],
            swiftSettings: swiftSettings
        ),
    ]
)
