import PDGTiling

/// The `[min, max]` a statistic's values are mapped onto the palette with; nil ends are filled from data.
public struct ValueRange: Sendable, Hashable, Codable {
    /// Lower end (values below are clamped to it), or nil = from data.
    public var min: Double?
    /// Upper end, or nil = from data.
    public var max: Double?

    /// Creates a range.
    public init(min: Double?, max: Double?) {
        self.min = min
        self.max = max
    }

    /// Whether both ends are set (nothing is left to the data).
    public var isComplete: Bool { min != nil && max != nil }

    /// The configured range of a statistic at zoom `z` (spec §9, `sub_general=True`): `z_config["<z>"].val_range`
    /// when present, else `val_range`; nil ends fall back to `val_range`'s ends.
    public static func configured(for statistic: StatisticConfiguration, zoom: Int) -> ValueRange {
        let general = statistic.valueRange ?? [nil, nil]
        var chosen = general
        if case .object(let levels)? = statistic.zConfig, case .object(let level)? = levels[String(zoom)],
            case .array(let pair)? = level["val_range"], pair.count == 2
        {
            chosen = pair.map { if case .number(let value) = $0 { value } else { nil } }
        }
        return ValueRange(min: chosen[0] ?? general[0], max: chosen[1] ?? general[1])
    }
}

/// The ranges every statistic uses at one zoom level, with data-derived ends already filled in.
public struct ZoomValueRanges: Sendable, Hashable, Codable {
    /// The zoom level.
    public var zoom: Int
    /// Range per statistic name.
    public var ranges: [String: ValueRange]

    /// Creates the ranges of a level.
    public init(zoom: Int, ranges: [String: ValueRange]) {
        self.zoom = zoom
        self.ranges = ranges
    }
}
