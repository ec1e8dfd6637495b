import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// A small HTTP server for looking at a run's web tiles: the map page (``ViewerPage``), the layer list with
/// legends (`/api/layers`), and the PNG tiles themselves (`/tiles/...`). Everything it serves is local;
/// the page fetches nothing from the internet.
public final class TileViewerServer: Sendable {
    /// What the page needs to know about one statistic layer.
    public struct Layer: Codable, Sendable, Hashable {
        /// The statistic's name (the first path component under the web tiles directory).
        public var name: String
        /// 256 palette colours as CSS `rgba(...)` strings, low to high, for the legend.
        public var legend: [String]
        /// The value range the colours span, per zoom level when it was computed from data.
        public var minimum: Double?
        public var maximum: Double?

        public init(name: String, legend: [String], minimum: Double?, maximum: Double?) {
            self.name = name
            self.legend = legend
            self.minimum = minimum
            self.maximum = maximum
        }
    }

    /// One zoom level of the tile matrix set, in the set's CRS units (degrees for WorldCRS84Quad).
    public struct Matrix: Codable, Sendable, Hashable {
        public var zoom: Int
        /// Top-left corner of the matrix.
        public var originX: Double
        public var originY: Double
        /// Width and height of one tile.
        public var tileSpanX: Double
        public var tileSpanY: Double
        public var matrixWidth: Int
        public var matrixHeight: Int

        public init(zoom: Int, originX: Double, originY: Double, tileSpanX: Double, tileSpanY: Double, matrixWidth: Int, matrixHeight: Int) {
            self.zoom = zoom
            self.originX = originX
            self.originY = originY
            self.tileSpanX = tileSpanX
            self.tileSpanY = tileSpanY
            self.matrixWidth = matrixWidth
            self.matrixHeight = matrixHeight
        }
    }

    /// Everything the page needs: the tile matrices of the zoom levels that have tiles, the data's extent
    /// and the layers with their legends.
    public struct Map: Codable, Sendable, Hashable {
        public var tileMatrixSet: String
        /// Pixels per tile side.
        public var tileSize: Int
        public var matrices: [Matrix]
        /// west, south, east, north of the produced tiles, to open the map there.
        public var dataBounds: [Double]
        public var layers: [Layer]

        public init(tileMatrixSet: String, tileSize: Int, matrices: [Matrix], dataBounds: [Double], layers: [Layer]) {
            self.tileMatrixSet = tileMatrixSet
            self.tileSize = tileSize
            self.matrices = matrices
            self.dataBounds = dataBounds
            self.layers = layers
        }
    }

    public let map: Map
    /// Where the PNG of a layer's tile is on disk, or nil.
    public let tilePath: @Sendable (_ layer: String, _ z: Int, _ x: Int, _ y: Int) -> String?
    private let channel = Mutex<(any Channel)?>(nil)

    public init(map: Map, tilePath: @escaping @Sendable (_ layer: String, _ z: Int, _ x: Int, _ y: Int) -> String?) {
        self.map = map
        self.tilePath = tilePath
    }

    /// Binds and serves; returns the port.
    public func start(host: String = "127.0.0.1", port: Int = 8000) async throws -> Int {
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { [self] channel in
                channel.pipeline.configureHTTPServerPipeline().flatMap {
                    channel.pipeline.addHandler(ViewerHTTPHandler(server: self))
                }
            }
            .bind(host: host, port: port)
            .get()
        channel.withLock { $0 = server }
        return server.localAddress?.port ?? port
    }

    public func stop() async {
        try? await channel.withLock { $0 }?.close()
    }

    /// The media type of a web tile file by its extension (`.png`, `.jpg`/`.jpeg`, `.webp`).
    static func imageType(ofFile file: String) -> String {
        switch (file as NSString).pathExtension.lowercased() {
        case "jpg", "jpeg": "image/jpeg"
        case "webp": "image/webp"
        default: "image/png"
        }
    }

    /// Answers one request: status, content type, body.
    func respond(to path: String) -> (HTTPResponseStatus, String, [UInt8]) {
        let route = path.split(separator: "?", maxSplits: 1).first.map(String.init) ?? path
        switch route {
        case "/", "/index.html":
            return (.ok, "text/html; charset=utf-8", Array(ViewerPage.html.utf8))
        case "/api/map":
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            return (.ok, "application/json", Array((try? encoder.encode(map)) ?? Data()))
        default:
            // /tiles/<layer>/<z>/<x>/<y>.png: only known layers and integer indices, so no path can escape.
            let parts = route.split(separator: "/").map(String.init)
            guard parts.count == 5, parts[0] == "tiles", map.layers.contains(where: { $0.name == parts[1] }),
                let z = Int(parts[2]), let x = Int(parts[3]), parts[4].hasSuffix(".png"), let y = Int(parts[4].dropLast(4)),
                let file = tilePath(parts[1], z, x, y), let data = FileManager.default.contents(atPath: file)
            else { return (.notFound, "text/plain", Array("not found\n".utf8)) }
            // The page always asks for `.png`; the file on disk says what it really is (ext_web_tiles).
            return (.ok, Self.imageType(ofFile: file), Array(data))
        }
    }
}

/// One HTTP/1.1 connection: GET only, files small enough to send in one piece.
final class ViewerHTTPHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let server: TileViewerServer

    init(server: TileViewerServer) { self.server = server }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .head(let request) = Self.unwrapInboundIn(data) else { return }
        let (status, type, body) = request.method == .GET ? server.respond(to: request.uri) : (.methodNotAllowed, "text/plain", [])
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: type)
        headers.add(name: "Content-Length", value: "\(body.count)")
        headers.add(name: "Cache-Control", value: type.hasPrefix("image/") ? "max-age=60" : "no-store")
        context.write(Self.wrapOutboundOut(.head(HTTPResponseHead(version: request.version, status: status, headers: headers))), promise: nil)
        var buffer = context.channel.allocator.buffer(capacity: body.count)
        buffer.writeBytes(body)
        context.write(Self.wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        context.writeAndFlush(Self.wrapOutboundOut(.end(nil)), promise: nil)
    }
}
