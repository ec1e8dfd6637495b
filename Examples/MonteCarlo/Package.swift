// swift-tools-version:6.2
// A workflow of one's own, in its own package: it uses the runtime through the `Dataflow` product only.
import PackageDescription

let package = Package(
    name: "monte-carlo",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "monte-carlo", targets: ["MonteCarlo"])
    ],
    dependencies: [
        // The repository root. `name:` is needed because SwiftPM names a path dependency after its folder
        // (here whatever the checkout is called). Outside this repository, use the git URL instead:
        // .package(url: "https://github.com/<owner>/viz-workflow.git", branch: "main")
        .package(name: "viz-workflow", path: "../..")
    ],
    targets: [
        .executableTarget(
            name: "MonteCarlo",
            dependencies: [.product(name: "Dataflow", package: "viz-workflow")]
        )
    ]
)
