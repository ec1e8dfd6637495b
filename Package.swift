// swift-tools-version:6.2
import PackageDescription

let argumentParser: Target.Dependency = .product(name: "ArgumentParser", package: "swift-argument-parser")
let nioCore: Target.Dependency = .product(name: "NIOCore", package: "swift-nio")
let nioPosix: Target.Dependency = .product(name: "NIOPosix", package: "swift-nio")

let package = Package(
    name: "viz-workflow",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "viz-workflow", targets: ["VizWorkflow"]),
        .executable(name: "runtime-bench", targets: ["RuntimeBench"]),
        .executable(name: "dataflow-example", targets: ["DataflowExample"]),
        .executable(name: "htex-example", targets: ["HighThroughputExample"]),
        .library(name: "Dataflow", targets: ["Dataflow"]),
        .library(name: "Tiling", targets: ["Tiling"]),
        .executable(name: "tiling-bench", targets: ["TilingBench"]),
        .library(name: "Rasterization", targets: ["Rasterization"]),
        .executable(name: "raster-bench", targets: ["RasterBench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.0"),
    ],
    targets: [
        // MARK: System libraries (Debian -dev packages; .ci/run installs them)
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "COpenSSL", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        .systemLibrary(name: "CGDAL", pkgConfig: "gdal", providers: [.apt(["libgdal-dev"])]),
        .systemLibrary(name: "CGEOS", pkgConfig: "geos", providers: [.apt(["libgeos-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .target(name: "CSystemShims"),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .target(name: "CCurlShims", dependencies: ["CCurl"]),

        // MARK: Runtime
        .target(name: "JSONValues"),
        .target(name: "Apps", dependencies: ["CSystemShims"]),
        .target(name: "Monitoring", dependencies: ["CSQLite"]),
        .target(name: "Dataflow", dependencies: ["Apps", "Monitoring", "COpenSSL", "JSONValues"]),
        .target(name: "KubernetesAPI", dependencies: ["CCurl", "CCurlShims"]),
        .target(name: "Providers", dependencies: ["Dataflow", "CSystemShims", "KubernetesAPI"]),
        .target(name: "WireProtocol", dependencies: ["COpenSSL", "CZstd", nioCore]),
        .target(name: "Worker", dependencies: ["Apps", "WireProtocol", "CSystemShims", nioCore, nioPosix]),
        .target(name: "Interchange", dependencies: ["Dataflow", "WireProtocol", "Worker", "Providers", nioCore, nioPosix]),

        // MARK: Tiling (pure geospatial library: no runtime, no networking)
        .target(name: "Tiling", dependencies: ["CGDAL", "CGEOS", "CSQLite", "JSONValues"]),
        // MARK: Rasterization (pdgraster replacement: GeoTIFFs, zoom pyramid, web tiles)
        .target(name: "Rasterization", dependencies: ["Tiling", "CGDAL", "CSQLite", "CZlib"]),
        .target(name: "TilingApps", dependencies: ["Dataflow", "Tiling", "Rasterization"]),
        .target(name: "TileViewer", dependencies: [nioCore, nioPosix, .product(name: "NIOHTTP1", package: "swift-nio")]),

        // MARK: Executables
        .executableTarget(
            name: "VizWorkflow",
            dependencies: ["Dataflow", "Monitoring", "Tiling", "Rasterization", "TilingApps", "TileViewer", "Interchange", "Providers", "Worker", argumentParser]
        ),
        .executableTarget(name: "TilingBench", dependencies: ["Tiling", "CGDAL", argumentParser]),
        .executableTarget(name: "RasterBench", dependencies: ["Rasterization", "Tiling", argumentParser]),
        .executableTarget(name: "RuntimeBench", dependencies: ["Dataflow", "Interchange", "Worker", "Providers"]),
        .executableTarget(name: "DataflowExample", dependencies: ["Dataflow"], path: "Examples/Dataflow", exclude: ["README.md"]),
        .executableTarget(name: "HighThroughputExample", dependencies: ["Dataflow", "Interchange", "Providers", "Worker"], path: "Examples/HighThroughput"),

        // MARK: Tests
        .testTarget(name: "AppsTests", dependencies: ["Apps"]),
        .testTarget(name: "TilingTests", dependencies: ["Tiling"]),
        .testTarget(name: "VizWorkflowTests", dependencies: ["VizWorkflow", "Dataflow", "TileViewer", "Tiling", "CGDAL"]),
        .testTarget(name: "RasterizationTests", dependencies: ["Rasterization", "Tiling", "CGDAL", "CSQLite"]),
        .testTarget(name: "ProvidersTests", dependencies: ["Providers"]),
        .testTarget(name: "WireProtocolTests", dependencies: ["WireProtocol", nioCore]),
        .testTarget(
            name: "InterchangeTests",
            dependencies: ["Interchange", "Worker", "WireProtocol", "Providers", "Dataflow", "InterchangeTestApps", "InterchangeTestWorker", nioCore, nioPosix]
        ),
        .target(name: "InterchangeTestApps", dependencies: ["Apps"], path: "Tests/InterchangeTestApps"),
        .executableTarget(name: "InterchangeTestWorker", dependencies: ["Worker", "InterchangeTestApps"], path: "Tests/InterchangeTestWorker"),
        .testTarget(
            name: "KubernetesTests",
            dependencies: ["KubernetesAPI", "Providers", "Interchange", "Dataflow", "InterchangeTestApps", "InterchangeTestWorker"],
            exclude: ["Fixtures"]
        ),
        .testTarget(name: "MonitoringTests", dependencies: ["Monitoring"]),
        .testTarget(name: "DataflowTests", dependencies: ["Dataflow", "Monitoring", "DataflowTestWorkflow"]),
        .executableTarget(name: "DataflowTestWorkflow", dependencies: ["Dataflow"], path: "Tests/DataflowTestWorkflow"),
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
