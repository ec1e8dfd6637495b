import Foundation

/// A tile of a tile matrix set: column `x` (grows eastwards), row `y` (grows southwards from the top-left corner)
/// and zoom level `z`.
public struct TileIndex: Sendable, Hashable, Codable, Comparable, CustomStringConvertible {
    /// The column.
    public var x: Int
    /// The row.
    public var y: Int
    /// The zoom level (tile matrix identifier as an integer).
    public var z: Int

    /// Creates a tile index.
    public init(x: Int, y: Int, z: Int) {
        self.x = x
        self.y = y
        self.z = z
    }

    /// The tile one level up that contains this one: `(x div 2, y div 2, z - 1)` with floor division.
    public var parent: TileIndex {
        TileIndex(x: x >> 1, y: y >> 1, z: z - 1)
    }

    /// The four tiles one level down, in PDG's iteration order: (2x, 2y), (2x, 2y+1), (2x+1, 2y), (2x+1, 2y+1).
    public var children: [TileIndex] {
        [
            TileIndex(x: 2 * x, y: 2 * y, z: z + 1),
            TileIndex(x: 2 * x, y: 2 * y + 1, z: z + 1),
            TileIndex(x: 2 * x + 1, y: 2 * y, z: z + 1),
            TileIndex(x: 2 * x + 1, y: 2 * y + 1, z: z + 1),
        ]
    }

    /// The text PDG stores in `staging_tile` and `staging_centroid_tile`: `Tile(x=1419, y=909, z=13)`.
    public var pdgDescription: String { "Tile(x=\(x), y=\(y), z=\(z))" }

    public var description: String { pdgDescription }

    /// Parses the `Tile(x=…, y=…, z=…)` form written by PDG.
    public init?(pdgDescription text: String) {
        guard text.hasPrefix("Tile("), text.hasSuffix(")") else { return nil }
        let inner = text.dropFirst(5).dropLast()
        var values: [String: Int] = [:]
        for part in inner.split(separator: ",") {
            let pair = part.split(separator: "=", maxSplits: 1)
            guard pair.count == 2, let value = Int(pair[1].trimmingCharacters(in: .whitespaces)) else { return nil }
            values[pair[0].trimmingCharacters(in: .whitespaces)] = value
        }
        guard let x = values["x"], let y = values["y"], let z = values["z"], values.count == 3 else { return nil }
        self.init(x: x, y: y, z: z)
    }

    /// Orders by zoom, then column, then row — the order PDG writes a file's tiles in.
    public static func < (lhs: TileIndex, rhs: TileIndex) -> Bool {
        (lhs.z, lhs.x, lhs.y) < (rhs.z, rhs.x, rhs.y)
    }
}
