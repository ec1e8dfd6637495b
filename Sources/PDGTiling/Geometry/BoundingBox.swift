/// An axis-aligned rectangle in some CRS (x = easting/longitude, y = northing/latitude).
public struct BoundingBox: Sendable, Hashable, Codable {
    /// Smallest x.
    public var left: Double
    /// Smallest y.
    public var bottom: Double
    /// Largest x.
    public var right: Double
    /// Largest y.
    public var top: Double

    /// Creates a box from its four edges.
    public init(left: Double, bottom: Double, right: Double, top: Double) {
        self.left = left
        self.bottom = bottom
        self.right = right
        self.top = top
    }

    /// The empty box, which `extend` grows from.
    public static let empty = BoundingBox(left: .infinity, bottom: .infinity, right: -.infinity, top: -.infinity)

    /// Whether the box contains no point.
    public var isEmpty: Bool { left > right || bottom > top }

    /// Grows the box to include a point.
    @inline(__always)
    public mutating func extend(x: Double, y: Double) {
        if x < left { left = x }
        if x > right { right = x }
        if y < bottom { bottom = y }
        if y > top { top = y }
    }

    /// Grows the box to include another box.
    public mutating func extend(_ other: BoundingBox) {
        guard !other.isEmpty else { return }
        extend(x: other.left, y: other.bottom)
        extend(x: other.right, y: other.top)
    }

    /// Whether the two closed boxes share at least one point.
    @inline(__always)
    public func intersects(_ other: BoundingBox) -> Bool {
        left <= other.right && other.left <= right && bottom <= other.top && other.bottom <= top
    }

    /// Whether `other` lies inside this closed box.
    @inline(__always)
    public func contains(_ other: BoundingBox) -> Bool {
        other.left >= left && other.right <= right && other.bottom >= bottom && other.top <= top
    }
}
