import PDGTiling

/// A configured statistic resolved for rasterization: how rows become values and how values become a pixel.
struct StatisticPlan: Sendable {
    enum Weighting: Sendable { case count, area }
    enum Source: Sendable, Equatable {
        /// `centroids_per_pixel`: 1 per row.
        case one
        /// `area_per_pixel_area`: the piece's coverage fraction.
        case coverage
        /// A property column (index into the requested value columns).
        case column(Int)
    }

    var name: String
    var weighting: Weighting
    var source: Source
    var aggregation: AggregationMethod

    /// Resolves the statistics of a config; `columns` receives the property columns to read.
    static func plans(for config: WorkflowConfiguration) throws(RasterizationError) -> (plans: [StatisticPlan], columns: [String]) {
        var plans: [StatisticPlan] = []
        var columns: [String] = []
        for statistic in config.statistics {
            let weighting: Weighting
            switch statistic.weightBy {
            case "count": weighting = .count
            case "area": weighting = .area
            default:
                throw RasterizationError(.invalidConfiguration, "statistic \"\(statistic.name)\": weight_by must be \"count\" or \"area\"")
            }
            let source: Source
            switch statistic.property {
            case "centroids_per_pixel": source = .one
            case "area_per_pixel_area": source = .coverage
            case "area_within_pixel":
                // pdgraster raises KeyError here (spec §7.3); we refuse it up front with a clear message.
                throw RasterizationError(
                    .invalidConfiguration, "statistic \"\(statistic.name)\": property area_within_pixel is not supported (it fails in pdgraster too)")
            case let property?:
                if let index = columns.firstIndex(of: property) {
                    source = .column(index)
                } else {
                    columns.append(property)
                    source = .column(columns.count - 1)
                }
            case nil:
                throw RasterizationError(.invalidConfiguration, "statistic \"\(statistic.name)\": property is required")
            }
            if source == .coverage, weighting == .count {
                throw RasterizationError(.invalidConfiguration, "statistic \"\(statistic.name)\": area_per_pixel_area needs weight_by \"area\"")
            }
            let aggregation = try AggregationMethod(configValue: statistic.aggregationMethod, statistic: statistic.name)
            plans.append(StatisticPlan(name: statistic.name, weighting: weighting, source: source, aggregation: aggregation))
        }
        return (plans, columns)
    }

    /// pdgraster's dtype rule: float64 when any band is floating (always with an area statistic), else int32.
    static func dataType(plans: [StatisticPlan], columnTypes: [String?]) -> RasterDataType {
        for plan in plans {
            if plan.weighting == .area || plan.aggregation.producesFloat { return .float64 }
            if case .column(let index) = plan.source {
                let type = (columnTypes[index] ?? "").uppercased()
                let integral = type.contains("INT") || type == "BOOLEAN"
                if !integral { return .float64 }
            }
        }
        return .int32
    }
}
