// swift-tools-version:6.0
import PackageDescription

// Numeric targets are optimised even in debug builds: SIMD and pointer loops at -Onone are
// orders of magnitude slower and would make `swift test` crawl (see shared/SWIFT-NOTES.md).
let optimized: [SwiftSetting] = [
    .unsafeFlags(["-O"], .when(configuration: .debug)),
]

let package = Package(
    name: "Foedus",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "FoedusTensor", targets: ["FoedusTensor"]),
        .library(name: "FoedusNN", targets: ["FoedusNN"]),
        .library(name: "FoedusData", targets: ["FoedusData"]),
        .library(name: "FoedusQuant", targets: ["FoedusQuant"]),
        .library(name: "Foedus", targets: ["Foedus"]),
        .library(name: "FoedusStore", targets: ["FoedusStore"]),
        .executable(name: "foedus", targets: ["foedus"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/groue/GRDB.swift", exact: "7.10.0"),
    ],
    targets: [
        // Layer 0: system libraries and kernels.
        .systemLibrary(name: "CDNNL", path: "Sources/CDNNL"),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
        .systemLibrary(name: "CZeroMQ", path: "Sources/CZeroMQ"),
        .target(
            name: "CFoedusKernels",
            path: "Sources/CFoedusKernels",
            cSettings: [.unsafeFlags(["-O3", "-ffp-contract=off"])],
            linkerSettings: [.linkedLibrary("dl")]
        ),
        .target(
            name: "FoedusKernels",
            dependencies: ["CDNNL", "CFoedusKernels"],
            swiftSettings: optimized
        ),
        // Layer 1: tensors and automatic differentiation.
        .target(
            name: "FoedusTensor",
            dependencies: ["FoedusKernels", "CFoedusKernels"],
            swiftSettings: optimized
        ),
        // Layer 2: layers, models and serialization; datasets.
        .target(
            name: "FoedusNN",
            dependencies: ["FoedusTensor", "FoedusKernels"],
            swiftSettings: optimized
        ),
        .target(
            name: "FoedusData",
            dependencies: ["FoedusTensor", "FoedusKernels", "CZlib"],
            swiftSettings: optimized
        ),
        // Layer 3: quantization.
        .target(
            name: "FoedusQuant",
            dependencies: ["FoedusTensor", "FoedusKernels", "FoedusNN"],
            swiftSettings: optimized
        ),
        // Layer 4: the federated core (strategies, round driver, SSFL, in-process simulator).
        .target(
            name: "Foedus",
            dependencies: ["FoedusTensor", "FoedusNN", "FoedusData", "FoedusKernels", "FoedusQuant", .product(name: "Yams", package: "Yams")],
            swiftSettings: optimized
        ),
        // Layer 5: persistence.
        .target(
            name: "FoedusStore",
            dependencies: ["Foedus", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: optimized
        ),
        // Layer 5: the ZeroMQ transport (server, clients, client pools, CURVE).
        .target(
            name: "FoedusZMQ",
            dependencies: ["CZeroMQ", "Foedus", "FoedusNN", "FoedusData", "FoedusTensor", "FoedusQuant", "FoedusKernels"],
            swiftSettings: optimized
        ),
        .target(
            name: "FoedusReport",
            dependencies: []
        ),
        // Layer 6: the command-line tool.
        .executableTarget(
            name: "foedus",
            dependencies: [
                "FoedusTensor", "FoedusNN", "FoedusData", "Foedus", "FoedusStore", "FoedusReport", "FoedusZMQ", "FoedusQuant", "CFoedusKernels",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "foedus-bench",
            dependencies: ["FoedusTensor", "FoedusKernels", "CDNNL", "CFoedusKernels", "FoedusNN", "FoedusData", "FoedusQuant"],
            path: "Benchmarks/foedus-bench",
            swiftSettings: optimized
        ),
        .testTarget(name: "FoedusKernelsTests", dependencies: ["FoedusKernels"]),
        .testTarget(name: "FoedusTensorTests", dependencies: ["FoedusTensor"]),
        .testTarget(name: "FoedusNNTests", dependencies: ["FoedusNN", "FoedusTensor"], exclude: ["Fixtures"]),
        .testTarget(name: "FoedusQuantTests", dependencies: ["FoedusQuant", "FoedusTensor", "FoedusNN", "FoedusKernels"]),
        .testTarget(name: "FoedusTests", dependencies: ["Foedus", "FoedusNN", "FoedusData", "FoedusTensor", "FoedusQuant"]),
        .testTarget(name: "FoedusZMQTests", dependencies: ["FoedusZMQ", "Foedus", "FoedusStore", "FoedusTensor", "FoedusQuant", "FoedusKernels"]),
        .testTarget(name: "FoedusReportTests", dependencies: ["FoedusReport"]),
        .testTarget(name: "FoedusStoreTests", dependencies: ["FoedusStore", "Foedus"]),
        .testTarget(name: "FoedusDataTests", dependencies: ["FoedusData", "FoedusTensor", "FoedusKernels"], exclude: ["Fixtures"]),
    ]
)
