import Foundation

/// The polygons of a footprint file (the area an input scene covers), with their attributes, in a chosen CRS.
struct FootprintLayer {
    /// Attribute columns of the footprint file.
    var fields: [FieldDefinition]
    /// One entry per footprint polygon (MultiPolygons exploded): its feature's values and the polygon.
    var polygons: [(values: [FieldValue], polygon: Polygon)]

    /// PDG's footprint path of an input: `dir_footprints/<filename with extension replaced by ext_footprints>`.
    static func path(forFilename filename: String, configuration: WorkflowConfiguration) -> String {
        let withoutExtension = (filename as NSString).deletingPathExtension
        return (configuration.dirFootprints as NSString).appendingPathComponent(withoutExtension + configuration.extFootprints)
    }

    /// Reads a footprint file and reprojects it from its own CRS (or `fallbackCRS` when it has none) into `target`.
    static func read(path: String, into target: SpatialReference, fallbackCRS: String?) throws(TilingError) -> FootprintLayer {
        guard FileManager.default.fileExists(atPath: path) else {
            throw TilingError(.footprintMissing, "footprint file \(path) does not exist")
        }
        let layer: VectorLayer
        do {
            layer = try VectorDataset(openingForReading: path).firstLayer()
        } catch {
            throw TilingError(.footprintUnreadable, "footprint \(path): \(error.message)")
        }
        let source: SpatialReference
        if let own = try layer.spatialReference() {
            source = own
        } else if let fallbackCRS {
            source = try SpatialReference(definition: fallbackCRS)
        } else {
            throw TilingError(.footprintUnreadable, "footprint \(path) has no CRS and no input_crs is configured")
        }
        let transformation =
            source.isSame(as: target)
            ? nil : try CoordinateTransformation(from: source, to: target, description: "footprint \(path)")
        var scratchX: [Double] = []
        var scratchY: [Double] = []
        var result: [(values: [FieldValue], polygon: Polygon)] = []
        do {
            try layer.forEachFeature { _, values, polygons throws(TilingError) in
                for var polygon in polygons ?? [] {
                    if let transformation {
                        for index in polygon.rings.indices {
                            try transformation.transform(interleaved: &polygon.rings[index], scratchX: &scratchX, scratchY: &scratchY)
                        }
                    }
                    result.append((values, polygon))
                }
            }
        } catch {
            throw TilingError(.footprintUnreadable, "footprint \(path): \(error.message)")
        }
        guard !result.isEmpty else {
            throw TilingError(.footprintUnreadable, "footprint \(path) has no polygons")
        }
        return FootprintLayer(fields: layer.fields, polygons: result)
    }
}
