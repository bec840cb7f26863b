// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "restrace",
    products: [
        .executable(name: "restrace", targets: ["restrace"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        // The recorder's metrics: the facade, its Prometheus backend, and a small HTTP server
        // (no SwiftNIO) for /metrics, /livez and /readyz.
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swhitty/FlyingFox", from: "0.27.1"),
    ],
    targets: [
        .systemLibrary(
            name: "CZstd", pkgConfig: "libzstd",
            providers: [.apt(["libzstd-dev"])]),
        .systemLibrary(
            name: "CMosquitto", pkgConfig: "libmosquitto",
            providers: [.apt(["libmosquitto-dev"])]),
        .systemLibrary(
            name: "CLibpq", pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]),
        .target(name: "ResourceProtocol"),
        .target(name: "Postgres", dependencies: ["CLibpq"]),
        .target(name: "Capture", dependencies: ["CZstd"]),
        .target(name: "Selection", dependencies: ["ResourceProtocol", "Capture"]),
        .target(name: "Broker", dependencies: [
            "CMosquitto", .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "Recorder", dependencies: [
            "Capture", "Broker", .product(name: "Logging", package: "swift-log"),
            .product(name: "CoreMetrics", package: "swift-metrics"),
        ]),
        .target(name: "Replayer", dependencies: ["Capture", "Broker", "Selection"]),
        .target(name: "Projection", dependencies: [
            "ResourceProtocol", "Capture", "Postgres", .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        .target(name: "Simulator", dependencies: ["ResourceProtocol", "Capture", "Broker"]),
        .target(name: "Comparison", dependencies: ["ResourceProtocol", "Capture", "Projection"]),
        .target(name: "Dashboard", dependencies: ["Capture", "Broker", "Projection"]),
        .executableTarget(name: "restrace", dependencies: [
            "ResourceProtocol", "Capture", "Selection", "Broker", "Recorder", "Replayer", "Projection", "Simulator", "Comparison", "Dashboard",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "CoreMetrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "FlyingFox", package: "FlyingFox"),
            .product(name: "FlyingSocks", package: "FlyingFox"),
        ]),
        .executableTarget(name: "restrace-bench", dependencies: [
            "ResourceProtocol", "Capture", "Projection", "Simulator",
        ], path: "bench/Sources"),
        .testTarget(name: "ResourceProtocolTests", dependencies: ["ResourceProtocol"]),
        // Helpers the test targets share (temporary directories, paths, running a program).
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "CaptureTests", dependencies: ["Capture", "Selection", "TestSupport"]),
        .testTarget(name: "ProjectionTests", dependencies: ["Projection", "Capture", "ResourceProtocol", "Simulator", "TestSupport"]),
        .testTarget(name: "IntegrationTests", dependencies: [
            "Broker", "Recorder", "Replayer", "Capture", "Selection", "Simulator", "Projection", "TestSupport",
            .product(name: "GRDB", package: "GRDB.swift"),
        ]),
    ]
)
