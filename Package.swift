// swift-tools-version:6.2
import PackageDescription

let argumentParser: Target.Dependency = .product(name: "ArgumentParser", package: "swift-argument-parser")
let nioCore: Target.Dependency = .product(name: "NIOCore", package: "swift-nio")
let nioPosix: Target.Dependency = .product(name: "NIOPosix", package: "swift-nio")
let nioSSL: Target.Dependency = .product(name: "NIOSSL", package: "swift-nio-ssl")

// Module names are global in a SwiftPM build graph, so every module says whose it is: `Dataflow…` for the
// runtime, `PDG…` for the tiling pipeline, `CViz…` for the C shims. A consumer's own `Worker` or `Tiling`
// target never collides with ours. The dependency graph is drawn in docs/architecture.md.
let package = Package(
    name: "viz-workflow",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "viz-workflow", targets: ["VizWorkflow"]),
        // The runtime: one product, one `import Dataflow`, for writing, running and deploying a workflow.
        .library(name: "Dataflow", targets: ["Dataflow"]),
        // Only the kernel, futures and thread executor: no networking, no providers.
        .library(name: "DataflowCore", targets: ["DataflowCore"]),
        // The PDG tiling libraries.
        .library(name: "Tiling", targets: ["PDGTiling"]),
        .library(name: "Rasterization", targets: ["PDGRasterization"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.0"),
        // TLS for leader–worker traffic (BoringSSL inside: no system OpenSSL ABI to match; see docs/wire-protocol.md).
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.0"),
    ],
    targets: [
        // MARK: System libraries (Debian -dev packages; scripts/setup.sh installs them)
        .systemLibrary(name: "CVizSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CVizOpenSSL", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CVizZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        .systemLibrary(name: "CVizGDAL", pkgConfig: "gdal", providers: [.apt(["libgdal-dev"])]),
        .systemLibrary(name: "CVizGEOS", pkgConfig: "geos", providers: [.apt(["libgeos-dev"])]),
        .systemLibrary(name: "CVizZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CVizJPEG", pkgConfig: "libjpeg", providers: [.apt(["libjpeg62-turbo-dev"])]),
        .systemLibrary(name: "CVizWebP", pkgConfig: "libwebp", providers: [.apt(["libwebp-dev"])]),
        // libjpeg reports errors by longjmp: the setjmp lives in C.
        .target(name: "CVizImageShims", dependencies: ["CVizJPEG"]),
        .target(name: "CVizSystemShims"),
        .systemLibrary(name: "CVizCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .target(name: "CVizCurlShims", dependencies: ["CVizCurl"]),

        // MARK: Runtime (leaves first; see docs/architecture.md)
        .target(name: "DataflowJSON"),
        .target(name: "DataflowApps", dependencies: ["CVizSystemShims", "CVizOpenSSL"]),
        .target(name: "DataflowStorage"),
        .target(name: "DataflowMonitoring", dependencies: ["CVizSQLite", "DataflowStorage"]),
        .target(name: "DataflowCore", dependencies: ["DataflowApps", "DataflowMonitoring", "DataflowJSON", "DataflowStorage", "CVizOpenSSL"]),
        .target(name: "DataflowWireProtocol", dependencies: ["CVizOpenSSL", "CVizZstd", nioCore, nioSSL]),
        .target(name: "DataflowWorker", dependencies: ["DataflowApps", "DataflowWireProtocol", "CVizSystemShims", nioCore, nioPosix, nioSSL]),
        .target(name: "DataflowKubernetesAPI", dependencies: ["CVizCurl", "CVizCurlShims"]),
        .target(name: "DataflowProviders", dependencies: ["DataflowJSON", "DataflowKubernetesAPI", "CVizSystemShims"]),
        .target(name: "DataflowInterchange", dependencies: ["DataflowCore", "DataflowWireProtocol", "DataflowProviders", nioCore, nioPosix, nioSSL]),
        .target(
            name: "Dataflow",
            dependencies: [
                "DataflowApps", "DataflowCore", "DataflowInterchange", "DataflowJSON", "DataflowKubernetesAPI", "DataflowMonitoring",
                "DataflowProviders", "DataflowStorage", "DataflowWireProtocol", "DataflowWorker",
            ]
        ),

        // MARK: PDG tiling (pure geospatial libraries: no runtime, no networking), then its apps and viewer
        .target(name: "PDGTiling", dependencies: ["CVizGDAL", "CVizGEOS", "CVizSQLite", "DataflowJSON", "DataflowStorage"]),
        .target(name: "PDGRasterization", dependencies: ["PDGTiling", "DataflowStorage", "CVizGDAL", "CVizSQLite", "CVizZlib", "CVizImageShims", "CVizWebP"]),
        .target(name: "PDGTilingApps", dependencies: ["DataflowCore", "PDGTiling", "PDGRasterization"]),
        .target(name: "PDGTileViewer", dependencies: [nioCore, nioPosix, .product(name: "NIOHTTP1", package: "swift-nio")]),

        // MARK: The application
        .executableTarget(
            name: "VizWorkflow",
            dependencies: ["Dataflow", "PDGTiling", "PDGRasterization", "PDGTilingApps", "PDGTileViewer", "CVizSystemShims", argumentParser]
        ),

        // MARK: Benchmarks and examples: executables of this package only (`swift run runtime-bench`), not
        // products, so a package that depends on this one never sees them.
        .executableTarget(name: "tiling-bench", dependencies: ["PDGTiling", "CVizGDAL", argumentParser], path: "Sources/TilingBench"),
        .executableTarget(
            name: "raster-bench", dependencies: ["PDGRasterization", "PDGTiling", "CVizSystemShims", argumentParser], path: "Sources/RasterBench"),
        .executableTarget(name: "runtime-bench", dependencies: ["Dataflow"], path: "Sources/RuntimeBench"),
        .executableTarget(name: "dataflow-example", dependencies: ["DataflowCore"], path: "Examples/Dataflow", exclude: ["README.md"]),
        .executableTarget(name: "htex-example", dependencies: ["Dataflow"], path: "Examples/HighThroughput"),

        // MARK: Tests
        .testTarget(name: "DataflowAppsTests", dependencies: ["DataflowApps"]),
        .testTarget(name: "PDGTilingTests", dependencies: ["PDGTiling", "CVizSQLite"]),
        .testTarget(
            name: "VizWorkflowTests",
            dependencies: [
                "VizWorkflow", "DataflowCore", "DataflowStorage", "PDGTileViewer", "PDGTiling", "PDGTilingApps", "PDGRasterization", "CVizGDAL",
                "VizWorkflowTestSupport",
            ]
        ),
        .testTarget(name: "PDGRasterizationTests", dependencies: ["PDGRasterization", "PDGTiling", "CVizGDAL", "CVizSQLite"]),
        .testTarget(name: "DataflowProvidersTests", dependencies: ["DataflowProviders"]),
        .testTarget(name: "DataflowWireProtocolTests", dependencies: ["DataflowWireProtocol", nioCore]),
        .testTarget(name: "DataflowWorkerTests", dependencies: ["DataflowWorker", "DataflowWireProtocol"]),
        .testTarget(
            name: "DataflowInterchangeTests",
            dependencies: [
                "DataflowInterchange", "DataflowWorker", "DataflowWireProtocol", "DataflowProviders", "DataflowCore", "InterchangeTestApps",
                "InterchangeTestWorker", nioCore, nioPosix,
            ]
        ),
        // The bundled sample through the built binary, for the end-to-end tests of several test targets.
        .target(name: "VizWorkflowTestSupport", path: "Tests/VizWorkflowTestSupport"),
        .target(name: "InterchangeTestApps", dependencies: ["DataflowApps"], path: "Tests/InterchangeTestApps"),
        .executableTarget(name: "InterchangeTestWorker", dependencies: ["DataflowWorker", "InterchangeTestApps"], path: "Tests/InterchangeTestWorker"),
        .testTarget(
            name: "DataflowKubernetesTests",
            dependencies: [
                "DataflowKubernetesAPI", "DataflowProviders", "DataflowInterchange", "DataflowCore", "InterchangeTestApps", "InterchangeTestWorker",
                "VizWorkflowTestSupport",
            ],
            exclude: ["Fixtures"]
        ),
        // SlurmProvider: unit tests, and tests against the one-node cluster of scripts/slurm-test-cluster.sh (skipped
        // when sinfo reaches no controller); viz-workflow runs too, so every real-Slurm test is in one serialized suite.
        .testTarget(
            name: "DataflowSlurmTests",
            dependencies: [
                "DataflowProviders", "DataflowInterchange", "DataflowCore", "DataflowJSON", "InterchangeTestApps", "InterchangeTestWorker", "VizWorkflow",
                "VizWorkflowTestSupport",
            ]
        ),
        .testTarget(name: "DataflowMonitoringTests", dependencies: ["DataflowMonitoring"]),
        .testTarget(name: "DataflowCoreTests", dependencies: ["DataflowCore", "DataflowMonitoring", "DataflowStorage", "DataflowTestWorkflow"]),
        .executableTarget(name: "DataflowTestWorkflow", dependencies: ["DataflowCore"], path: "Tests/DataflowTestWorkflow"),
    ]
)

// One settings list for every target of ours: Swift 6 mode, strict concurrency, warnings are errors.
for target in package.targets where [.regular, .executable, .test].contains(target.type) {
    var settings = target.swiftSettings ?? []
    settings.append(.enableUpcomingFeature("ExistentialAny"))
    settings.append(.enableUpcomingFeature("MemberImportVisibility"))
    settings.append(.treatAllWarnings(as: .error))
    target.swiftSettings = settings
}
