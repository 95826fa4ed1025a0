/// A legend entry: a line sample in the series' style and its label.
struct LegendItem {
    var label: String
    var color: String
    var dash: String?
    var marker: Bool = false
}

/// Layout shared by the x–y plots: margins, the data-to-pixel mapping, axes, grid, titles and legend.
///
/// The chart occupies the top `chartHeight` pixels; the legend wraps into rows below it.
struct PlotFrame {
    let width: Double
    let chartHeight: Double
    let x: Axis
    let y: Axis
    /// Custom x tick labels (categorical axes); `nil` uses `x.ticks`.
    let xTicks: [(value: Double, label: String)]?
    /// Horizontal padding inside the plot area so markers at the ends of the domain clear the axes.
    let inset: Double
    let left: Double
    let right: Double
    let top: Double = 34
    let bottom: Double

    static let legendRowHeight = 17.0
    static let tickFont = 10.5

    init(width: Double, chartHeight: Double, x: Axis, y: Axis,
         xTicks: [(value: Double, label: String)]? = nil, inset: Double = 0) {
        self.width = width
        self.chartHeight = chartHeight
        self.x = x
        self.y = y
        self.xTicks = xTicks
        self.inset = inset
        let widest = y.ticks.map { SVGCanvas.textWidth(y.label(for: $0), size: PlotFrame.tickFont) }.max() ?? 0
        left = max(48, 30 + widest)
        right = width - 18
        bottom = chartHeight - 44
    }

    /// Pixel x of a data value.
    func px(_ value: Double) -> Double {
        left + inset + x.fraction(of: value) * (right - left - 2 * inset)
    }

    /// Pixel y of a data value.
    func py(_ value: Double) -> Double {
        bottom - y.fraction(of: value) * (bottom - top)
    }

    /// Draws the title, grid, axes, tick labels and axis titles.
    func drawAxes(on canvas: inout SVGCanvas, title: String, xLabel: String, yLabel: String) {
        canvas.text(Markup.truncate(title, to: Int((width - 24) / 7.5)), 12, 20, size: 13, fill: "#222222",
                    bold: true, tooltip: title)
        for tick in y.ticks {
            let position = py(tick)
            canvas.line(left, position, right, position, stroke: "#e6e6e6")
            canvas.text(y.label(for: tick), left - 6, position + 3.5, size: PlotFrame.tickFont, anchor: .end, fill: "#555555")
        }
        let xLabels = xTicks ?? x.ticks.map { ($0, x.label(for: $0)) }
        for tick in xLabels {
            let position = px(tick.value)
            canvas.line(position, bottom, position, bottom + 4, stroke: "#999999")
            canvas.text(tick.label, position, bottom + 16, size: PlotFrame.tickFont, anchor: .middle, fill: "#555555")
        }
        canvas.line(left, bottom, right, bottom, stroke: "#999999")
        canvas.line(left, top, left, bottom, stroke: "#999999")
        canvas.text(xLabel, (left + right) / 2, bottom + 34, size: 11.5, anchor: .middle, fill: "#333333")
        canvas.text(yLabel, 14, (top + bottom) / 2, size: 11.5, anchor: .middle, fill: "#333333", rotate: true)
    }

    /// Positions of legend items (relative to the legend's top) and the legend's height, for a plot `width` wide.
    static func legendLayout(_ items: [LegendItem], width: Double) -> (origins: [(Double, Double)], height: Double) {
        guard !items.isEmpty else { return ([], 0) }
        var origins: [(Double, Double)] = []
        var (cursor, row) = (16.0, 0.0)
        for item in items {
            let itemWidth = 28 + SVGCanvas.textWidth(legendText(item.label), size: 11) + 18
            if cursor > 16 && cursor + itemWidth > width - 8 {
                cursor = 16
                row += 1
            }
            origins.append((cursor, row * legendRowHeight))
            cursor += itemWidth
        }
        return (origins, (row + 1) * legendRowHeight + 8)
    }

    /// Draws the legend with its first row `top` pixels from the top of the SVG.
    static func drawLegend(_ items: [LegendItem], on canvas: inout SVGCanvas, top: Double) {
        let layout = legendLayout(items, width: canvas.width)
        for (item, origin) in zip(items, layout.origins) {
            let (x, y) = (origin.0, top + origin.1 + 8)
            canvas.line(x, y, x + 22, y, stroke: item.color, width: 2.25, dash: item.dash)
            if item.marker { canvas.circle(x + 11, y, radius: 3, fill: item.color) }
            canvas.text(legendText(item.label), x + 28, y + 4, size: 11, fill: "#333333", tooltip: item.label)
        }
    }

    /// Long labels (run ids can be long) are shortened; the full text is the tooltip.
    static func legendText(_ label: String) -> String {
        Markup.truncate(label, to: 48)
    }
}
