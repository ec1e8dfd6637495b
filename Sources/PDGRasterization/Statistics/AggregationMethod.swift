/// A pandas aggregation applied to the values falling in one pixel (`aggregation_method`).
public enum AggregationMethod: String, Sendable, Hashable, Codable, CaseIterable {
    case sum, mean, max, min, count, first, last, median, std, `var`, prod, size

    /// Parses a config value.
    public init(configValue: String?, statistic: String) throws(RasterizationError) {
        guard let configValue, let method = AggregationMethod(rawValue: configValue) else {
            throw RasterizationError(
                .invalidConfiguration,
                "statistic \"\(statistic)\": aggregation_method \"\(configValue ?? "null")\" is not supported (\(Self.allCases.map(\.rawValue).joined(separator: ", ")))"
            )
        }
        self = method
    }

    /// Whether the result is floating even for integer inputs (pandas promotes these to float64).
    var producesFloat: Bool {
        switch self {
        case .mean, .median, .std, .var: true
        default: false
        }
    }
}
