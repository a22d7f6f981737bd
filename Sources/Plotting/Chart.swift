import Foundation

/// One axis of a chart: its label (with units), scale kind, number format and optional fixed ends.
public struct Axis: Sendable, Equatable {
    /// The label under (or beside) the axis, units included, e.g. "training compute C (FLOPs)".
    public var label: String
    /// Linear or logarithmic.
    public var scale: ScaleKind
    /// How tick labels are written.
    public var format: NumberFormat
    /// Fixed lower end (nil: from the data, rounded).
    public var min: Double?
    /// Fixed upper end (nil: from the data, rounded).
    public var max: Double?
    /// Whether a linear axis computed from the data reaches 0.
    public var includeZero: Bool

    /// An axis; ends from the data unless `min`/`max` are given.
    public init(
        _ label: String,
        scale: ScaleKind = .linear,
        format: NumberFormat = .number,
        min: Double? = nil,
        max: Double? = nil,
        includeZero: Bool = false
    ) {
        self.label = label
        self.scale = scale
        self.format = format
        self.min = min
        self.max = max
        self.includeZero = includeZero
    }
}

/// A data point; `low`/`high` give its interval (error bars, bands).
public struct DataPoint: Sendable, Equatable {
    public var x: Double
    public var y: Double
    /// Lower end of y's interval.
    public var low: Double?
    /// Upper end of y's interval.
    public var high: Double?
    /// A short text shown beside the point (points and error bars only).
    public var label: String?

    public init(_ x: Double, _ y: Double, low: Double? = nil, high: Double? = nil, label: String? = nil) {
        self.x = x
        self.y = y
        self.low = low
        self.high = high
        self.label = label
    }
}

/// A marker shape; shapes differ so that series stay apart without colour.
public enum Marker: String, Sendable, Equatable, CaseIterable {
    case circle, square, diamond, triangle, cross
}

/// A line pattern.
public enum Dash: String, Sendable, Equatable {
    case solid, dashed, dotted
}

/// One thing drawn in a chart, with one legend entry.
public struct Series: Sendable, Equatable {
    /// How the series is drawn.
    public enum Style: Sendable, Equatable {
        /// A polyline through the points in order (broken where a point cannot be drawn).
        case line(Dash)
        /// Markers at the points.
        case points(Marker)
        /// A line with markers.
        case lineAndPoints(Dash, Marker)
        /// Markers with vertical bars from `low` to `high`.
        case errorBars(Marker)
        /// A shaded area between `low` and `high` along x (an interval band).
        case band
        /// A closed shaded polygon through the points (a region, e.g. a fitted range).
        case region
    }

    /// The legend text.
    public var name: String
    /// How it is drawn.
    public var style: Style
    /// The data, in drawing order.
    public var points: [DataPoint]
    /// Palette index (nil: the series' position among the chart's series).
    public var color: Int?
    /// Whether the legend lists it.
    public var inLegend: Bool

    public init(_ name: String, _ style: Style, _ points: [DataPoint], color: Int? = nil, inLegend: Bool = true) {
        self.name = name
        self.style = style
        self.points = points
        self.color = color
        self.inLegend = inLegend
    }

    /// The values that set the axes' ranges: x and y (low and high included).
    var yValues: [Double] { points.flatMap { [$0.y] + [$0.low, $0.high].compactMap { $0 } } }
}

/// A labelled mark that is not a data series: a highlighted point, a reference line.
public struct Annotation: Sendable, Equatable {
    /// What is drawn.
    public enum Kind: Sendable, Equatable {
        /// A large marker at (x, y) with its label.
        case point(x: Double, y: Double, Marker)
        /// A vertical rule at x across the plot.
        case verticalLine(x: Double)
        /// A horizontal rule at y across the plot.
        case horizontalLine(y: Double)
    }
    public var kind: Kind
    /// The text beside it.
    public var label: String
    /// Palette index.
    public var color: Int

    public init(_ kind: Kind, label: String, color: Int = 6) {
        self.kind = kind
        self.label = label
        self.color = color
    }
}

/// A chart with x and y axes: lines, points, error bars, bands, regions and annotations.
///
/// `svg()` is deterministic: the same chart gives the same bytes.
public struct Chart: Sendable, Equatable {
    /// Unique within a page: used for element ids and file names.
    public var id: String
    public var title: String
    /// One line under the title (what is shown, where it comes from).
    public var subtitle: String?
    public var x: Axis
    public var y: Axis
    public var series: [Series]
    public var annotations: [Annotation]
    /// The table of the numbers drawn (nil: one built from the series).
    public var table: DataTable?
    /// Size in CSS pixels (the SVG scales with its container).
    public var width: Double
    public var height: Double

    public init(
        id: String,
        title: String,
        subtitle: String? = nil,
        x: Axis,
        y: Axis,
        series: [Series] = [],
        annotations: [Annotation] = [],
        table: DataTable? = nil,
        width: Double = 640,
        height: Double = 400
    ) {
        self.id = id
        self.title = title
        self.subtitle = subtitle
        self.x = x
        self.y = y
        self.series = series
        self.annotations = annotations
        self.table = table
        self.width = width
        self.height = height
    }

    /// Series with at least one point that can be drawn on the chart's axes.
    public var drawnSeries: [Series] {
        series.filter { s in
            s.points.contains { p in
                (x.scale == .linear || p.x > 0) && p.x.isFinite
                    && (p.y.isFinite && (y.scale == .linear || p.y > 0)
                        || s.style == .band && (p.low.map { y.scale == .linear || $0 > 0 } ?? false))
            }
        }
    }

    /// The table of numbers beneath the chart: the one given, or one row per point.
    public var dataTable: DataTable {
        if let table { return table }
        var rows: [[String]] = []
        let hasInterval = series.contains { s in s.points.contains { $0.low != nil || $0.high != nil } }
        for s in drawnSeries {
            for p in s.points {
                var row = [s.name, x.format.label(p.x), y.format.label(p.y)]
                if hasInterval {
                    row.append(
                        p.low.map { l in
                            "[" + y.format.label(l) + ", " + (p.high.map { y.format.label($0) } ?? "") + "]"
                        } ?? ""
                    )
                }
                rows.append(row)
            }
        }
        var columns = ["series", x.label, y.label]
        if hasInterval { columns.append("interval") }
        return DataTable(columns: columns, rows: rows)
    }
}

/// A table of numbers as text, shown beneath a chart.
public struct DataTable: Sendable, Equatable {
    /// Column headings (with units).
    public var columns: [String]
    /// Rows of cells, each as long as `columns`.
    public var rows: [[String]]
    /// A sentence under the table (nil: none).
    public var caption: String?

    public init(columns: [String], rows: [[String]], caption: String? = nil) {
        self.columns = columns
        self.rows = rows
        self.caption = caption
    }
}

/// A bar chart: one bar per category and series (side by side, or stacked), drawn horizontally
/// so that long category names stay readable.
public struct BarChart: Sendable, Equatable {
    /// One series of bars, one value per category (nil: no bar).
    public struct Bars: Sendable, Equatable {
        public var name: String
        public var values: [Double?]
        public var color: Int?
        public init(_ name: String, _ values: [Double?], color: Int? = nil) {
            self.name = name
            self.values = values
            self.color = color
        }
    }

    public var id: String
    public var title: String
    public var subtitle: String?
    /// Category names, top to bottom.
    public var categories: [String]
    public var bars: [Bars]
    /// Stack the series' values within a category (e.g. a memory breakdown) instead of side by side.
    public var stacked: Bool
    /// The value axis (linear; starts at 0).
    public var value: Axis
    /// The table of numbers (nil: categories × series).
    public var table: DataTable?
    public var width: Double
    /// The heading of the category column in the table.
    public var categoryLabel: String

    public init(
        id: String,
        title: String,
        subtitle: String? = nil,
        categories: [String],
        bars: [Bars],
        stacked: Bool = false,
        value: Axis,
        table: DataTable? = nil,
        width: Double = 640,
        categoryLabel: String = "category"
    ) {
        self.id = id
        self.title = title
        self.subtitle = subtitle
        self.categoryLabel = categoryLabel
        self.categories = categories
        self.bars = bars
        self.stacked = stacked
        self.value = value
        self.table = table
        self.width = width
    }

    /// The table of numbers beneath the chart.
    public var dataTable: DataTable {
        if let table { return table }
        let rows = categories.enumerated().map { i, c in
            [c] + bars.map { b in i < b.values.count ? b.values[i].map { value.format.label($0) } ?? "" : "" }
        }
        return DataTable(columns: [categoryLabel] + bars.map { "\($0.name) (\(value.label))" }, rows: rows)
    }
}

/// Either kind of chart, as a page holds them.
public enum AnyChart: Sendable, Equatable {
    case xy(Chart)
    case bars(BarChart)

    public var id: String {
        switch self {
        case .xy(let c): return c.id
        case .bars(let b): return b.id
        }
    }

    public var title: String {
        switch self {
        case .xy(let c): return c.title
        case .bars(let b): return b.title
        }
    }

    public var subtitle: String? {
        switch self {
        case .xy(let c): return c.subtitle
        case .bars(let b): return b.subtitle
        }
    }

    /// The SVG element (no XML prolog), for embedding in HTML.
    public func svg() -> String {
        switch self {
        case .xy(let c): return c.svg()
        case .bars(let b): return b.svg()
        }
    }

    /// The numbers beneath.
    public var dataTable: DataTable {
        switch self {
        case .xy(let c): return c.dataTable
        case .bars(let b): return b.dataTable
        }
    }

    /// Series drawn (what the browser test counts).
    public var seriesCount: Int {
        switch self {
        case .xy(let c): return c.drawnSeries.count
        case .bars(let b): return b.bars.filter { $0.values.contains { $0 != nil } }.count
        }
    }

    /// A standalone SVG file's text (XML prolog included).
    public func svgDocument() -> String {
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + svg() + "\n"
    }
}
