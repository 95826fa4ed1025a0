import Foundation

/// A line chart of one or more series over a numeric x axis, rendered as a standalone SVG element.
///
/// A point whose `y` is `nil` was not measured (test accuracy is evaluated only every few rounds):
/// by default the line connects the measured points on either side. A non-finite `y` (a diverged
/// loss) always breaks the line, leaving a visible gap.
public struct LinePlot: Sendable, Equatable {
    /// One data point.
    public struct Point: Sendable, Equatable {
        /// Position on the x axis (e.g. the round).
        public var x: Double
        /// The value, or `nil` when not measured at this x.
        public var y: Double?

        /// Makes a point.
        public init(x: Double, y: Double?) {
            self.x = x
            self.y = y
        }
    }

    /// One line of points (see ``PlotSeries``).
    public typealias Series = PlotSeries<Point>

    /// How y values map to height.
    public enum YScale: Sendable, Equatable {
        /// Linear.
        case linear
        /// Logarithmic (non-positive values are dropped).
        case logarithmic
        /// Logarithmic when every value is positive and they span at least two decades, else linear.
        case automatic
    }

    /// Plot title.
    public var title: String
    /// X axis title.
    public var xLabel: String
    /// Y axis title.
    public var yLabel: String
    /// The lines, drawn in order.
    public var series: [Series]
    /// The y scale.
    public var yScale: YScale
    /// Whether x ticks step by whole numbers (rounds).
    public var integerX: Bool
    /// Whether a line bridges points with `y == nil` (true) or breaks there (false).
    public var bridgesMissing: Bool
    /// Width of the SVG in pixels.
    public var width: Double
    /// Height of the chart in pixels, not counting the legend below it.
    public var height: Double

    /// Makes a plot; see the properties for the meaning of each argument.
    public init(title: String, xLabel: String, yLabel: String, series: [Series], yScale: YScale = .linear,
                integerX: Bool = true, bridgesMissing: Bool = true, width: Double = 560, height: Double = 300) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.series = series
        self.yScale = yScale
        self.integerX = integerX
        self.bridgesMissing = bridgesMissing
        self.width = width
        self.height = height
    }

    /// The connected runs of drawable points of `series`, in pixel-independent data coordinates.
    func segments(of series: Series, logarithmic: Bool) -> [[(x: Double, y: Double)]] {
        var segments: [[(x: Double, y: Double)]] = []
        var current: [(x: Double, y: Double)] = []
        func flush() {
            if !current.isEmpty { segments.append(current) }
            current = []
        }
        for point in series.points {
            guard point.x.isFinite else { continue }
            guard let y = point.y else {
                if !bridgesMissing { flush() }
                continue
            }
            if y.isFinite && (!logarithmic || y > 0) {
                current.append((point.x, y))
            } else {
                flush()
            }
        }
        flush()
        return segments
    }

    /// The plot as an `<svg>` element (well-formed XML, no scripts, no external references).
    ///
    /// - Complexity: O(total number of points).
    public func svg() -> String {
        let finite = series.flatMap { $0.points }.filter { $0.x.isFinite && ($0.y?.isFinite ?? false) }
        let values = finite.compactMap(\.y)
        let logarithmic: Bool
        switch yScale {
        case .linear: logarithmic = false
        case .logarithmic: logarithmic = values.contains { $0 > 0 }
        case .automatic:
            let low = values.min() ?? 0
            logarithmic = low > 0 && (values.max() ?? 0) / low >= 100
        }
        let yValues = logarithmic ? values.filter { $0 > 0 } : values
        let xs = finite.map(\.x)
        let xAxis = Axis(lower: xs.min() ?? 0, upper: xs.max() ?? 1, integerSteps: integerX)
        let yAxis = logarithmic
            ? Axis.logarithmic(lower: yValues.min() ?? 1, upper: yValues.max() ?? 10)
            : Axis(lower: yValues.min() ?? 0, upper: yValues.max() ?? 1)

        let legend = series.map { item -> LegendItem in
            let style = Palette.style(at: item.styleIndex)
            return LegendItem(label: item.label, color: style.color, dash: style.dash)
        }
        let legendHeight = series.count > 1 ? PlotFrame.legendLayout(legend, width: width).height : 0
        var canvas = SVGCanvas(width: width, height: height + legendHeight)
        let frame = PlotFrame(width: width, chartHeight: height, x: xAxis, y: yAxis)
        frame.drawAxes(on: &canvas, title: title, xLabel: xLabel,
                       yLabel: logarithmic ? yLabel + " (log scale)" : yLabel)
        if values.isEmpty {
            canvas.text("no data", (frame.left + frame.right) / 2, (frame.top + frame.bottom) / 2,
                        size: 12, anchor: .middle, fill: "#888888")
        }

        let pointCount = series.reduce(0) { $0 + $1.points.count }
        for item in series {
            let style = Palette.style(at: item.styleIndex)
            let segments = segments(of: item, logarithmic: logarithmic)
            // Markers show where measurements are; with many points they would only add clutter,
            // but a lone point (no neighbour to join) needs one to be seen at all.
            let measuredCount = segments.reduce(0) { $0 + $1.count }
            let markAll = pointCount <= 80 && measuredCount <= 40
            for segment in segments {
                let pixels = segment.map { (frame.px($0.x), frame.py($0.y)) }
                if pixels.count > 1 {
                    canvas.polyline(pixels, stroke: style.color, width: 1.75, dash: style.dash)
                }
                if markAll || pixels.count == 1 {
                    for (point, pixel) in zip(segment, pixels) {
                        let tip = "\(item.label) — \(xLabel) \(xText(point.x)): "
                            + String(format: "%.4g", point.y)
                        canvas.circle(pixel.0, pixel.1, radius: 2.6, fill: style.color, tooltip: tip)
                    }
                }
            }
        }
        if series.count > 1 {
            PlotFrame.drawLegend(legend, on: &canvas, top: height)
        }
        return canvas.document(label: title)
    }

    private func xText(_ x: Double) -> String {
        integerX && x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : NumberFormat.roundTrip(x)
    }
}
