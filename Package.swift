// swift-tools-version: 6.1
//
// cardcheck: card validation (Luhn, brand, expiry, CSC, AVS) as a pure library, and the tools on top.
// Layering: CardCheck (engine, no I/O) <- CardCheckJSON (JSON Lines contract) <- cardcheck (command).
// Micro-benchmarks live in their own package under Benchmarks/ so that CI and the tests never build them.
import PackageDescription

// No unsafeFlags here: SwiftPM refuses them in a package that others depend on by version. The shipped
// binaries are built by scripts/build-release, which turns the run-time exclusivity checks off in every
// module from the command line.

let package = Package(
    name: "cardcheck",
    products: [
        .library(name: "CardCheck", targets: ["CardCheck"]),
        .library(name: "CardCheckJSON", targets: ["CardCheckJSON"]),
        .library(name: "CardCheckWire", targets: ["CardCheckWire"]),
        .library(name: "CardCheckClient", targets: ["CardCheckClient"]),
        .library(name: "CardCheckCrypto", targets: ["CardCheckCrypto"]),
        .library(name: "CardCheckLoad", targets: ["CardCheckLoad"]),
        .library(name: "CardCheckServer", targets: ["CardCheckServer"]),
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
        .target(name: "CardCheck", dependencies: ["CCacheHints"]),
        // The CPU's prefetch instruction, which Swift cannot name: the card directory's batched lookahead.
        .target(name: "CCacheHints"),
        // OpenSSL libcrypto (Debian libssl-dev, installed by scripts/setup) for DES/TDES.
        .systemLibrary(name: "CSystemCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        // Card verification keys and the CVV/CVC algorithm on libcrypto; plugs into the engine as a
        // SecurityCodeVerifier. Its one piece of I/O is the key-file reader the daemon and the commands share.
        .target(name: "CardCheckCrypto", dependencies: ["CardCheck", "CSystemCrypto"]),
        // The JSON Lines request/result contract shared by `cardcheck --local` and (later) the daemon path.
        .target(name: "CardCheckJSON", dependencies: ["CardCheck"]),
        // The wire codec: frames and fields over NIOCore's ByteBuffer, no sockets.
        .target(
            name: "CardCheckWire",
            dependencies: ["CardCheck", .product(name: "NIOCore", package: "swift-nio")]
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
            dependencies: [
                "CFuzzDriver", "CardCheck", "CardCheckWire", "CardCheckCrypto", "CardCheckServer",
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        // prctl for cardcheckd (variadic in C, so not callable from Swift), and malloc_trim for the reload.
        .target(name: "CProcessControl"),
        // libsystemd (Debian libsystemd-dev, installed by scripts/setup) for sd_notify and socket activation.
        .systemLibrary(name: "CSystemd", pkgConfig: "libsystemd", providers: [.apt(["libsystemd-dev"])]),
        // The daemon's core as a library: configuration, access control, request dispatch (Responder),
        // connections, workers, counters, systemd notification. No `main`: the executable drives it.
        .target(
            name: "CardCheckServer",
            dependencies: [
                "CProcessControl",
                "CardCheck",
                "CardCheckCrypto",
                "CardCheckJSON",
                "CardCheckWire",
                "CSystemd",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Atomics", package: "swift-atomics"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        // The daemon's command: options, process hygiene, then CardCheckServer.
        .executableTarget(
            name: "cardcheckd",
            dependencies: [
                "CardCheckServer",
                "CProcessControl",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // The load generator behind `cardcheck bench`: SwiftNIO connections, answers checked against the
        // engine run in-process, latency in HdrHistograms.
        .target(
            name: "CardCheckLoad",
            dependencies: [
                "CardCheck", "CardCheckWire", "CardCheckCrypto", "CardCheckServer",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Atomics", package: "swift-atomics"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ]
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
                "CardCheckServer",
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
            dependencies: ["CardCheck", "CardCheckCrypto", "CardCheckTestSupport", "cardcheck"],
            exclude: ["cvv-algorithm.json"]
        ),
        .testTarget(
            name: "CardCheckJSONTests",
            dependencies: ["CardCheckJSON", "CardCheckCrypto", "CardCheckTestSupport", "cardcheck"]
        ),
        // Shared by the test targets that run the built executables as processes.
        .target(name: "CardCheckTestSupport", path: "Tests/CardCheckTestSupport"),
        .testTarget(
            name: "CardCheckDaemonTests",
            dependencies: [
                "CardCheck", "CardCheckWire", "CardCheckClient", "CardCheckCrypto", "CardCheckJSON", "CardCheckLoad",
                "CardCheckServer", "CardCheckTestSupport", "cardcheckd", "cardcheck",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "CardCheckWireTests",
            dependencies: [
                "CardCheckWire", "CardCheckServer", "CardCheckTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
    ]
)
