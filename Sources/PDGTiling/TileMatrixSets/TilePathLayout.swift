import Foundation

/// Where tiles live on disk: `join(base, c1…c5) + ext`, components ordered by `tile_path_structure`
/// (`style`, `tms`, `z`, `x`, `y`; the last three in any order). Empty components vanish, as with `os.path.join`.
///
/// ```swift
/// let layout = try TilePathLayout(structure: ["style", "tms", "z", "x", "y"], tmsIdentifier: "WorldCRS84Quad",
///                                 baseDirectory: "staged", fileExtension: ".gpkg")
/// layout.path(for: TileIndex(x: 1418, y: 908, z: 13))   // "staged/WorldCRS84Quad/13/1418/908.gpkg"
/// ```
public struct TilePathLayout: Sendable, Hashable, Codable {
    /// The five component names in order.
    public var structure: [String]
    /// The `tms` component.
    public var tmsIdentifier: String
    /// The base directory (may be empty or relative).
    public var baseDirectory: String
    /// The extension appended to the last component (with its dot).
    public var fileExtension: String

    /// Validates and creates a layout: exactly the five keys, no duplicates, `x`, `y`, `z` last.
    public init(
        structure: [String],
        tmsIdentifier: String,
        baseDirectory: String = "",
        fileExtension: String = ""
    ) throws(TilingError) {
        let keys: Set<String> = ["style", "tms", "z", "x", "y"]
        guard structure.count == 5, Set(structure) == keys else {
            throw TilingError(
                .invalidConfiguration,
                "config key \"tile_path_structure\" must contain each of style, tms, z, x, y exactly once, found \(structure)"
            )
        }
        guard Set(structure.suffix(3)) == ["x", "y", "z"] else {
            throw TilingError(.invalidConfiguration, "config key \"tile_path_structure\" must end with x, y and z (in any order), found \(structure)")
        }
        self.structure = structure
        self.tmsIdentifier = tmsIdentifier
        self.baseDirectory = baseDirectory
        self.fileExtension = fileExtension
    }

    /// The path components of a tile (empty `style` omitted), without base directory or extension.
    public func components(for tile: TileIndex, style: String = "") -> [String] {
        structure.compactMap { key in
            let value: String
            switch key {
            case "style": value = style
            case "tms": value = tmsIdentifier
            case "z": value = String(tile.z)
            case "x": value = String(tile.x)
            default: value = String(tile.y)
            }
            return value.isEmpty ? nil : value
        }
    }

    /// The relative path of a tile without base directory and extension, e.g. `WorldCRS84Quad/13/1418/908`.
    public func relativeStem(for tile: TileIndex, style: String = "") -> String {
        components(for: tile, style: style).joined(separator: "/")
    }

    /// The full path of a tile.
    public func path(for tile: TileIndex, style: String = "") -> String {
        let stem = relativeStem(for: tile, style: style) + fileExtension
        return baseDirectory.isEmpty ? stem : (baseDirectory as NSString).appendingPathComponent(stem)
    }

    /// Parses a path back into a tile (and `style`/`tms` when present): the base directory is removed when the
    /// path starts with it, the last three components are x/y/z in the configured order (extension stripped from
    /// the last one), and the two before are `style`/`tms` in configured order — or just `tms` if only one remains.
    /// - Throws: `TilingError.invalidTilePath` when the path does not have that shape.
    public func tile(fromPath path: String) throws(TilingError) -> (tile: TileIndex, style: String?, tms: String?) {
        var relative = Substring(path)
        if !baseDirectory.isEmpty, relative.hasPrefix(baseDirectory + "/") {
            relative = relative.dropFirst(baseDirectory.count + 1)
        }
        var parts = relative.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        guard parts.count >= 3 else {
            throw TilingError(.invalidTilePath, "\(path): a tile path needs at least three components (z, x, y)")
        }
        var last = parts[parts.count - 1]
        if !fileExtension.isEmpty {
            guard last.hasSuffix(fileExtension) else {
                throw TilingError(.invalidTilePath, "\(path): does not end with \(fileExtension)")
            }
            last.removeLast(fileExtension.count)
        } else if let dot = last.firstIndex(of: ".") {
            last = String(last[..<dot])
        }
        parts[parts.count - 1] = last
        var values: [String: Int] = [:]
        for (offset, key) in structure.suffix(3).enumerated() {
            let text = parts[parts.count - 3 + offset]
            guard let value = Int(text), value >= 0 else {
                throw TilingError(.invalidTilePath, "\(path): component \(key) is \"\(text)\", not a non-negative integer")
            }
            values[key] = value
        }
        let leading = parts.dropLast(3)
        let named = structure.prefix(2)
        var style: String?
        var tms: String?
        if leading.count >= 2 {
            let pair = Array(leading.suffix(2))
            for (key, value) in zip(named, pair) {
                if key == "style" { style = value } else { tms = value }
            }
        } else if let only = leading.last {
            tms = only
        }
        return (TileIndex(x: values["x"]!, y: values["y"]!, z: values["z"]!), style, tms)
    }
}
