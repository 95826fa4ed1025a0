import Foundation

/// Per-user class histograms as a heat map: one row per user, one column per class, each cell
/// shaded by the share of that user's samples in that class. Shows how non-iid a partition is.
public struct HistogramPlot: Sendable, Equatable {
    /// One histogram.
    public struct Row: Sendable, Equatable {
        /// Row label, e.g. `user 3`.
        public var label: String
        /// Count per class.
        public var counts: [Int]

        /// Makes a row.
        public init(label: String, counts: [Int]) {
            self.label = label
            self.counts = counts
        }
    }

    /// Plot title.
    public var title: String
    /// A histogram drawn apart above the others (e.g. the server's labeled set), if any.
    public var referenceRow: Row?
    /// The histograms, top to bottom.
    public var rows: [Row]
    /// Width of the SVG in pixels.
    public var width: Double

    /// Makes a plot; see the properties for the meaning of each argument.
    public init(title: String, referenceRow: Row? = nil, rows: [Row], width: Double = 560) {
        self.title = title
        self.referenceRow = referenceRow
        self.rows = rows
        self.width = width
    }

    /// The plot as an `<svg>` element (well-formed XML, no scripts, no external references).
    ///
    /// - Complexity: O(rows × classes).
    public func svg() -> String {
        let classCount = ([referenceRow].compactMap { $0 } + rows).map(\.counts.count).max() ?? 0
        let rowCount = rows.count
        let left = 64.0
        let gridWidth = min(Double(max(classCount, 1)) * 36, width - left - 60)
        let cell = (width: gridWidth / Double(max(classCount, 1)),
                    height: min(16, max(3, 240 / Double(max(rowCount, 1)))))
        let gridTop = 40.0 + (referenceRow == nil ? 0 : 22)
        let gridBottom = gridTop + cell.height * Double(rowCount)
        let height = gridBottom + 74
        var canvas = SVGCanvas(width: width, height: height)
        canvas.text(Markup.truncate(title, to: Int((width - 24) / 7.5)), 12, 20, size: 13, fill: "#222222",
                    bold: true, tooltip: title)

        if let referenceRow {
            draw(referenceRow, top: gridTop - 22, height: 14, cellWidth: cell.width,
                 left: left, labelled: true, on: &canvas)
        }
        // Label every k-th row so 11 px of text never overlap.
        let labelEvery = max(1, Int((11 / cell.height).rounded(.up)))
        for (index, row) in rows.enumerated() {
            draw(row, top: gridTop + Double(index) * cell.height, height: cell.height, cellWidth: cell.width,
                 left: left, labelled: index % labelEvery == 0, on: &canvas)
        }
        if rowCount > 0 {
            canvas.rect(left, gridTop, gridWidth, gridBottom - gridTop, fill: "none", stroke: "#bbbbbb")
        } else {
            canvas.text("no user histograms", left + gridWidth / 2, gridTop + 12, size: 11, anchor: .middle, fill: "#888888")
        }

        let columnLabelEvery = max(1, Int((16 / cell.width).rounded(.up)))
        for column in Swift.stride(from: 0, to: classCount, by: columnLabelEvery) {
            canvas.text(String(column), left + (Double(column) + 0.5) * cell.width, gridBottom + 13,
                        size: PlotFrame.tickFont, anchor: .middle, fill: "#555555")
        }
        canvas.text("class", left + gridWidth / 2, gridBottom + 28, size: 11.5, anchor: .middle)
        drawScale(left: left, top: gridBottom + 40, on: &canvas)
        return canvas.document(label: title)
    }

    private func draw(_ row: Row, top: Double, height: Double, cellWidth: Double, left: Double, labelled: Bool,
                      on canvas: inout SVGCanvas) {
        let total = row.counts.reduce(0, +)
        for (column, count) in row.counts.enumerated() {
            let share = total > 0 ? Double(count) / Double(total) : 0
            let tip = "\(row.label), class \(column): \(count) of \(total) (" + NumberFormat.percent(share) + " %)"
            canvas.rect(left + Double(column) * cellWidth, top, cellWidth, height, fill: Palette.sequential(share),
                        tooltip: tip)
        }
        if labelled {
            let size = min(10, max(8, height - 1))
            canvas.text(Markup.truncate(row.label, to: 10), left - 5, top + height / 2 + size * 0.35, size: size,
                        anchor: .end, fill: "#555555", tooltip: row.label)
            if height >= 9 {
                canvas.text("n=\(total)", left + cellWidth * Double(row.counts.count) + 5, top + height / 2 + 3.5,
                            size: 9, fill: "#777777")
            }
        }
    }

    /// The color key: ten swatches from 0 % to 100 % of a row's samples.
    private func drawScale(left: Double, top: Double, on canvas: inout SVGCanvas) {
        let swatch = 18.0
        for step in 0..<10 {
            canvas.rect(left + Double(step) * swatch, top, swatch, 9, fill: Palette.sequential((Double(step) + 0.5) / 10))
        }
        canvas.rect(left, top, swatch * 10, 9, fill: "none", stroke: "#bbbbbb")
        canvas.text("0 %", left, top + 21, size: 9.5, anchor: .start, fill: "#555555")
        canvas.text("100 %", left + swatch * 10, top + 21, size: 9.5, anchor: .end, fill: "#555555")
        canvas.text("share of the row's samples", left + swatch * 10 + 10, top + 8.5, size: 10, fill: "#555555")
    }
}
