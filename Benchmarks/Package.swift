// swift-tools-version: 6.1
//
// Micro-benchmarks of the cardcheck engine, kept out of the main package so that CI and the tests never
// build ordo-one/benchmark. Run from this folder: swift package --disable-sandbox benchmark
import Foundation
import PackageDescription

// The main package is the folder above; SwiftPM names a path dependency after its folder, which differs
// between checkouts (main, a CI clone, ...), so read it from this file's location.
let mainPackage = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()

let package = Package(
    name: "cardcheck-benchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(path: mainPackage.path),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "EngineBenchmarks",
            dependencies: [
                "EngineInputs",
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "CardCheck", package: mainPackage.lastPathComponent),
                .product(name: "CardCheckCrypto", package: mainPackage.lastPathComponent),
            ],
            path: "Benchmarks/EngineBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // The benchmark's requests, shared with the instruction counter below.
        .target(
            name: "EngineInputs",
            dependencies: [.product(name: "CardCheck", package: mainPackage.lastPathComponent)]
        ),
        // Counts the full validations' instructions under callgrind and times them in one process
        // (scripts/count-engine): the benchmark runner itself does not run under Debian 12's valgrind.
        .executableTarget(
            name: "EngineInstructions",
            dependencies: ["EngineInputs", .product(name: "CardCheck", package: mainPackage.lastPathComponent)]
        ),
    ]
)
