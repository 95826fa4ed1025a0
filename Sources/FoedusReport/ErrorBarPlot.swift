import Foundation

/// Means with ±error bars over a numeric or categorical x axis, one line per series, as an SVG element.
public struct ErrorBarPlot: Sendable, Equatable {
    /// One aggregated point.
    public struct Point: Sendable, Equatable {
        /// Position on the x axis.
        public var x: Double
        /// The mean (or other central value).
        public var y: Double
        /// Half-length of the error bar (e.g. one standard deviation); `nil` draws no bar.
        public var error: Double?
        /// Tooltip text; defaults to the values.
        public var note: String?

        /// Makes a point.
        public init(x: Double, y: Double, error: Double? = nil, note: String? = nil) {
            self.x = x
            self.y = y
            self.error = error
            self.note = note
        }
    }

    /// One line of points (see ``PlotSeries``).
    public typealias Series = PlotSeries<Point>

    /// A labelled x position, for categorical axes.
    public struct Tick: Sendable, Equatable {
        /// Position on the x axis.
        public var value: Double
        /// Text shown under the axis.
        public var label: String

        /// Makes a tick.
        public init(value: Double, label: String) {
            self.value = value
            self.label = label
        }
    }

    /// Plot title.
    public var title: String
    /// X axis title.
    public var xLabel: String
    /// Y axis title.
    public var yLabel: String
    /// The lines.
    public var series: [Series]
    /// Custom x ticks (a categorical axis); `nil` uses nice numeric ticks.
    public var xTicks: [Tick]?
    /// Width of the SVG in pixels.
    public var width: Double
    /// Height of the chart in pixels, not counting the legend below it.
    public var height: Double

    /// Makes a plot; see the properties for the meaning of each argument.
    public init(title: String, xLabel: String, yLabel: String, series: [Series], xTicks: [Tick]? = nil,
                width: Double = 560, height: Double = 320) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.series = series
        self.xTicks = xTicks
        self.width = width
        self.height = height
    }

    /// The plot as an `<svg>` element (well-formed XML, no scripts, no external references).
    ///
    /// - Complexity: O(total number of points).
    public func svg() -> String {
        let points = series.flatMap(\.points).filter { $0.x.isFinite && $0.y.isFinite }
        let bars = points.map { point -> (Double, Double) in
            let error = point.error.flatMap { $0.isFinite ? abs($0) : nil } ?? 0
            return (point.y - error, point.y + error)
        }
        let xs = points.map(\.x) + (xTicks?.map(\.value) ?? [])
        let xAxis = Axis(lower: xs.min() ?? 0, upper: xs.max() ?? 1)
        let yAxis = Axis(lower: bars.map(\.0).min() ?? 0, upper: bars.map(\.1).max() ?? 1)
        let legend = series.map { item -> LegendItem in
            let style = Palette.style(at: item.styleIndex)
            return LegendItem(label: item.label, color: style.color, dash: style.dash, marker: true)
        }
        let legendHeight = PlotFrame.legendLayout(legend, width: width).height
        var canvas = SVGCanvas(width: width, height: height + legendHeight)
        let frame = PlotFrame(width: width, chartHeight: height, x: xAxis, y: yAxis,
                              xTicks: xTicks?.map { ($0.value, $0.label) }, inset: 18)
        frame.drawAxes(on: &canvas, title: title, xLabel: xLabel, yLabel: yLabel)
        if points.isEmpty {
            canvas.text("no data", (frame.left + frame.right) / 2, (frame.top + frame.bottom) / 2,
                        size: 12, anchor: .middle, fill: "#888888")
        }

        for (index, item) in series.enumerated() {
            let style = Palette.style(at: item.styleIndex)
            // Series are nudged apart horizontally so bars at the same x do not hide each other.
            let dodge = (Double(index) - Double(series.count - 1) / 2) * 5
            let drawn = item.points.filter { $0.x.isFinite && $0.y.isFinite }.sorted { $0.x < $1.x }
            let pixels = drawn.map { (frame.px($0.x) + dodge, frame.py($0.y)) }
            if pixels.count > 1 {
                canvas.polyline(pixels, stroke: style.color, width: 1.75, dash: style.dash)
            }
            for (point, pixel) in zip(drawn, pixels) {
                if let error = point.error, error.isFinite, error > 0 {
                    let (top, bottom) = (frame.py(point.y + error), frame.py(point.y - error))
                    canvas.line(pixel.0, top, pixel.0, bottom, stroke: style.color, width: 1.25, cssClass: "error-bar")
                    canvas.line(pixel.0 - 4, top, pixel.0 + 4, top, stroke: style.color, width: 1.25)
                    canvas.line(pixel.0 - 4, bottom, pixel.0 + 4, bottom, stroke: style.color, width: 1.25)
                }
                let tip = point.note ?? "\(item.label): " + String(format: "%.4g", point.y)
                    + (point.error.map { " ± " + String(format: "%.3g", $0) } ?? "")
                canvas.circle(pixel.0, pixel.1, radius: 3.4, fill: style.color, tooltip: tip)
            }
        }
        PlotFrame.drawLegend(legend, on: &canvas, top: height)
        return canvas.document(label: title)
    }
}
