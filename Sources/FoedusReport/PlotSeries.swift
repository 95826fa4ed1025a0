/// One labelled line of a plot: its points in x order and its style.
public struct PlotSeries<Point: Sendable & Equatable>: Sendable, Equatable {
    /// Legend text.
    public var label: String
    /// Points, drawn joined in x order.
    public var points: [Point]
    /// Index into `Palette.style(at:)`; giving the same run the same index keeps its color across plots.
    public var styleIndex: Int

    /// Makes a series.
    public init(label: String, points: [Point], styleIndex: Int) {
        self.label = label
        self.points = points
        self.styleIndex = styleIndex
    }
}
