// swift-tools-version: 6.1
//
// cardcheck: card validation (Luhn, brand, expiry, CSC, AVS) as a pure library, and the tools on top.
// Layering: CardCheck (engine, no I/O) <- CardCheckJSON (JSON Lines contract) <- cardcheck (command).
// Micro-benchmarks live in their own package under Benchmarks/ so that CI and the tests never build them.
import PackageDescription

/// The request path's modules leave out the run-time exclusivity checks in release builds. A profile of
/// the daemon under load put them at about 10% of its CPU: a `swift_beginAccess` on every integer read
/// from a ByteBuffer (NIOCore code inlined into these modules). Static checks stay; debug builds, and so
/// every test and sanitizer run, keep the run-time checks too.
let requestPath: [SwiftSetting] = [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]

let package = Package(
    name: "cardcheck",
    products: [
        .library(name: "CardCheck", targets: ["CardCheck"]),
        .library(name: "CardCheckJSON", targets: ["CardCheckJSON"]),
        .library(name: "CardCheckWire", targets: ["CardCheckWire"]),
        .library(name: "CardCheckClient", targets: ["CardCheckClient"]),
        .library(name: "CardCheckCrypto", targets: ["CardCheckCrypto"]),
        .library(name: "CardCheckLoad", targets: ["CardCheckLoad"]),
        .executable(name: "cardcheck", targets: ["cardcheck"]),
        .executable(name: "cardcheckd", targets: ["cardcheckd"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-atomics", from: "1.3.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
    ],
    targets: [
        // The validation engine: standard library only, no I/O, no global mutable state.
        .target(name: "CardCheck", swiftSettings: requestPath),
        // OpenSSL libcrypto (Debian libssl-dev, installed by scripts/setup) for DES/TDES.
        .systemLibrary(name: "CSystemCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        // Card verification keys and the CVV/CVC algorithm on libcrypto; plugs into the engine as a
        // SecurityCodeVerifier. No I/O: key files are read by the daemon and the command.
        .target(name: "CardCheckCrypto", dependencies: ["CardCheck", "CSystemCrypto"]),
        // The JSON Lines request/result contract shared by `cardcheck --local` and (later) the daemon path.
        .target(name: "CardCheckJSON", dependencies: ["CardCheck"]),
        // The wire codec: frames and fields over NIOCore's ByteBuffer, no sockets.
        .target(
            name: "CardCheckWire",
            dependencies: ["CardCheck", .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: requestPath
        ),
        // The client library: async/await over one multiplexed connection.
        .target(
            name: "CardCheckClient",
            dependencies: [
                "CardCheck",
                "CardCheckWire",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Atomics", package: "swift-atomics"),
            ]
        ),
        // libFuzzer targets (scripts/fuzz builds them with -sanitize=fuzzer,address).
        .target(name: "CFuzzDriver"),
        .executableTarget(
            name: "cardcheck-fuzz",
            dependencies: ["CFuzzDriver", "CardCheck", "CardCheckWire", "CardCheckCrypto", .product(name: "NIOCore", package: "swift-nio")]
        ),
        // prctl for cardcheckd (variadic in C, so not callable from Swift).
        .target(name: "CProcessControl"),
        // libsystemd (Debian libsystemd-dev, installed by scripts/setup) for sd_notify and socket activation.
        .systemLibrary(name: "CSystemd", pkgConfig: "libsystemd", providers: [.apt(["libsystemd-dev"])]),
        // The daemon: SwiftNIO on a Unix socket, validation on a Dispatch worker pool.
        .executableTarget(
            name: "cardcheckd",
            dependencies: [
                "CardCheck",
                "CProcessControl",
                "CardCheckCrypto",
                "CardCheckWire",
                "CSystemd",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Atomics", package: "swift-atomics"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: requestPath
        ),
        // The load generator behind `cardcheck bench`: SwiftNIO connections, answers checked against the
        // engine run in-process, latency in HdrHistograms.
        .target(
            name: "CardCheckLoad",
            dependencies: [
                "CardCheck", "CardCheckWire", "CardCheckCrypto",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Atomics", package: "swift-atomics"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ],
            swiftSettings: requestPath
        ),
        .executableTarget(
            name: "cardcheck",
            dependencies: [
                "CardCheck",
                "CardCheckCrypto",
                "CardCheckLoad",
                "CardCheckJSON",
                "CardCheckWire",
                "CardCheckClient",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(
            name: "CardCheckTests",
            dependencies: [
                "CardCheck",
                "CardCheckTestSupport",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            exclude: ["Fixtures"]
        ),
        .testTarget(
            name: "CardCheckCryptoTests",
            dependencies: ["CardCheck", "CardCheckCrypto", "CardCheckTestSupport", "cardcheck"]
        ),
        .testTarget(
            name: "CardCheckJSONTests",
            dependencies: ["CardCheckJSON", "CardCheckTestSupport", "cardcheck"]
        ),
        // Shared by the test targets that run the built executables as processes.
        .target(name: "CardCheckTestSupport", path: "Tests/CardCheckTestSupport"),
        .testTarget(
            name: "CardCheckDaemonTests",
            dependencies: [
                "CardCheck", "CardCheckWire", "CardCheckClient", "CardCheckCrypto", "CardCheckLoad", "CardCheckTestSupport", "cardcheckd", "cardcheck",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "CardCheckWireTests",
            dependencies: ["CardCheckWire", "CardCheckTestSupport", .product(name: "NIOCore", package: "swift-nio")]
        ),
    ]
)
