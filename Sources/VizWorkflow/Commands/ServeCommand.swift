import ArgumentParser
import Foundation
import PDGRasterization
import PDGTileViewer
import PDGTiling

/// `viz-workflow serve`: a local web viewer of the produced web tiles (pan, zoom, layers, legend).
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve a map page of the produced web tiles on this machine."
    )

    @Option(help: "Directory with workflow_config.json (its dir_web_tiles is served).")
    var parameters: String = "parameters"

    @Option(help: "Address to listen on.")
    var host: String = "127.0.0.1"

    @Option(help: "Port to listen on (0 picks a free one).")
    var port: Int = 8000

    func run() async throws {
        let workflow = try ParametersDirectory(path: parameters).workflowConfiguration()
        let server = try Self.makeServer(workflow: workflow)
        let bound = try await server.start(host: host, port: port)
        FileHandle.standardOutput.write(Data("serving \(workflow.dirWebTiles) at http://\(host):\(bound)/  (Ctrl-C to stop)\n".utf8))
        // Serve until interrupted.
        while true { try await Task.sleep(for: .seconds(3600)) }
    }

    /// The viewer for a workflow's web tiles: matrices of its zoom range, layers and legends from its
    /// statistics, and the extent of the tiles present at the highest zoom.
    static func makeServer(workflow: WorkflowConfiguration) throws -> TileViewerServer {
        let tms = try workflow.tileMatrixSet()
        let layout = try RasterPipeline.webTileLayout(workflow)
        var matrices: [TileViewerServer.Matrix] = []
        for z in workflow.minZoom...workflow.maxZoom {
            let m = try tms.matrix(zoom: z)
            matrices.append(
                .init(
                    zoom: z, originX: m.originX, originY: m.originY, tileSpanX: m.tileSpanX, tileSpanY: m.tileSpanY, matrixWidth: m.matrixWidth,
                    matrixHeight: m.matrixHeight)
            )
        }
        var layers: [TileViewerServer.Layer] = []
        for statistic in workflow.statistics {
            let palette = try Palette.cached(for: statistic)
            let legend = (0..<256).map { i in
                let c = palette.rgba[(i * 4)..<(i * 4 + 4)].map { Int($0) }
                return "rgba(\(c[0]),\(c[1]),\(c[2]),\(String(format: "%.3f", Double(c[3]) / 255)))"
            }
            let range = statistic.valueRange ?? []
            layers.append(.init(name: statistic.name, legend: legend, minimum: range.first ?? nil, maximum: range.count > 1 ? range[1] : nil))
        }
        // The extent of what was produced, from the tiles on disk at the highest zoom that has any.
        var highest: [TileIndex] = []
        if let files = FileManager.default.enumerator(atPath: workflow.dirWebTiles) {
            for case let relative as String in files where relative.hasSuffix(workflow.extWebTiles) {
                guard let found = try? layout.tile(fromPath: (workflow.dirWebTiles as NSString).appendingPathComponent(relative)) else { continue }
                if highest.first.map({ found.tile.z > $0.z }) ?? true {
                    highest = [found.tile]
                } else if found.tile.z == highest[0].z {
                    highest.append(found.tile)
                }
            }
        }
        guard !highest.isEmpty else {
            throw ValidationError("no web tiles under \(workflow.dirWebTiles): run `viz-workflow run` (or `webtiles`) first")
        }
        var bounds = try tms.bounds(of: highest[0])
        for tile in highest.dropFirst() {
            let b = try tms.bounds(of: tile)
            bounds = BoundingBox(
                left: min(bounds.left, b.left), bottom: min(bounds.bottom, b.bottom), right: max(bounds.right, b.right), top: max(bounds.top, b.top))
        }
        let map = TileViewerServer.Map(
            tileMatrixSet: tms.identifier,
            tileSize: workflow.tileSize.first ?? 256,
            matrices: matrices,
            dataBounds: [bounds.left, bounds.bottom, bounds.right, bounds.top],
            layers: layers
        )
        return TileViewerServer(map: map) { layer, z, x, y in
            layout.path(for: TileIndex(x: x, y: y, z: z), style: layer)
        }
    }
}
