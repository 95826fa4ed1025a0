import XCTest
@testable import FoedusReport

/// Oracle: the expected segments of hand-made series (which points connect, where the line breaks).
final class LinePlotTests: XCTestCase {
    func plot(_ ys: [Double?], bridges: Bool = true) -> (LinePlot, LinePlot.Series) {
        let series = LinePlot.Series(label: "s", points: ys.enumerated().map { .init(x: Double($0.offset + 1), y: $0.element) },
                                     styleIndex: 0)
        return (LinePlot(title: "t", xLabel: "round", yLabel: "y", series: [series], bridgesMissing: bridges), series)
    }

    func xs(_ segments: [[(x: Double, y: Double)]]) -> [[Double]] {
        segments.map { $0.map(\.x) }
    }

    func testUnmeasuredRoundsAreBridged() {
        let (plot, series) = plot([nil, nil, 0.3, nil, nil, nil, 0.5, nil, 0.6])
        XCTAssertEqual(xs(plot.segments(of: series, logarithmic: false)), [[3, 7, 9]])
        XCTAssertEqual(SVGInspection.count("<polyline", in: plot.svg()), 1)
    }

    func testNonFiniteValuesBreakTheLine() {
        let (plot, series) = plot([1, 2, .nan, 4, 5, .infinity, 7])
        XCTAssertEqual(xs(plot.segments(of: series, logarithmic: false)), [[1, 2], [4, 5], [7]])
        let svg = plot.svg()
        XCTAssertEqual(SVGInspection.count("<polyline", in: svg), 2)
        XCTAssertNil(SVGInspection.xmlError(svg))
    }

    func testMissingBreaksWhenNotBridging() {
        let (plot, series) = plot([1, nil, 3, 4], bridges: false)
        XCTAssertEqual(xs(plot.segments(of: series, logarithmic: false)), [[1], [3, 4]])
    }

    func testLonePointGetsAMarkerEvenInADenseSeries() {
        let dense: [Double?] = (1...100).map { Double($0) } + [.nan, 7]
        let (plot, _) = plot(dense)
        XCTAssertEqual(SVGInspection.count("<circle", in: plot.svg()), 1)
    }

    func testAutomaticScaleGoesLogarithmicOverTwoDecades() {
        let wide = LinePlot(title: "t", xLabel: "x", yLabel: "loss",
                            series: [.init(label: "a", points: [.init(x: 1, y: 2.3), .init(x: 2, y: 0.01)], styleIndex: 0)],
                            yScale: .automatic)
        XCTAssertTrue(wide.svg().contains("loss (log scale)"))
        let narrow = LinePlot(title: "t", xLabel: "x", yLabel: "loss",
                              series: [.init(label: "a", points: [.init(x: 1, y: 2.3), .init(x: 2, y: 0.1)], styleIndex: 0)],
                              yScale: .automatic)
        XCTAssertFalse(narrow.svg().contains("log scale"))
    }

    func testLegendListsEverySeriesWhenOverlaid() {
        let series = (0..<9).map { LinePlot.Series(label: "run \($0)", points: [.init(x: 1, y: Double($0))], styleIndex: $0) }
        let svg = LinePlot(title: "t", xLabel: "x", yLabel: "y", series: series).svg()
        for index in 0..<9 { XCTAssertTrue(svg.contains(">run \(index)</text>")) }
        XCTAssertTrue(svg.contains("stroke-dasharray=\"6 3\""), "the 8th series reuses a color with a dash")
        XCTAssertNil(SVGInspection.xmlError(svg))
    }
}
