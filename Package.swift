// swift-tools-version:6.2
import PackageDescription

let argumentParser: Target.Dependency = .product(name: "ArgumentParser", package: "swift-argument-parser")

let package = Package(
    name: "viz-workflow",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "viz-workflow", targets: ["VizWorkflow"]),
        .executable(name: "runtime-bench", targets: ["RuntimeBench"]),
        .library(name: "Dataflow", targets: ["Dataflow"]),
        .library(name: "Tiling", targets: ["Tiling"]),
        .executable(name: "tiling-bench", targets: ["TilingBench"]),
        .library(name: "Rasterization", targets: ["Rasterization"]),
        .executable(name: "raster-bench", targets: ["RasterBench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.0")
    ],
    targets: [
        // MARK: System libraries (Debian -dev packages; .ci/run installs them)
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "COpenSSL", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CGDAL", pkgConfig: "gdal", providers: [.apt(["libgdal-dev"])]),
        .systemLibrary(name: "CGEOS", pkgConfig: "geos", providers: [.apt(["libgeos-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),

        // MARK: Runtime
        .target(name: "Apps"),
        .target(name: "Monitoring", dependencies: ["CSQLite"]),
        .target(name: "Dataflow", dependencies: ["Apps", "Monitoring", "COpenSSL"]),

        // MARK: Tiling (pure geospatial library: no runtime, no networking)
        .target(name: "Tiling", dependencies: ["CGDAL", "CGEOS", "CSQLite"]),
        // MARK: Rasterization (pdgraster replacement: GeoTIFFs, zoom pyramid, web tiles)
        .target(name: "Rasterization", dependencies: ["Tiling", "CGDAL", "CSQLite", "CZlib"]),

        // MARK: Executables
        .executableTarget(name: "VizWorkflow", dependencies: ["Dataflow", "Monitoring", "Tiling", "Rasterization", argumentParser]),
        .executableTarget(name: "RuntimeBench", dependencies: ["Dataflow"]),
        .executableTarget(name: "DataflowExample", dependencies: ["Dataflow"], path: "Examples/Dataflow"),
        .executableTarget(name: "TilingBench", dependencies: ["Tiling", "CGDAL", argumentParser]),
        .executableTarget(name: "RasterBench", dependencies: ["Rasterization", "Tiling", argumentParser]),

        // MARK: Tests
        .testTarget(name: "AppsTests", dependencies: ["Apps"]),
        .testTarget(name: "MonitoringTests", dependencies: ["Monitoring"]),
        .testTarget(name: "DataflowTests", dependencies: ["Dataflow", "Monitoring"]),
        .testTarget(name: "TilingTests", dependencies: ["Tiling"]),
        .testTarget(name: "RasterizationTests", dependencies: ["Rasterization", "Tiling", "CGDAL", "CSQLite"]),
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
