import XCTest
@testable import FoedusReport

final class HistogramAndPaletteTests: XCTestCase {
    func testCellsAreShadedByShareOfTheRow() {
        let plot = HistogramPlot(title: "h", referenceRow: .init(label: "server", counts: [5, 5]),
                                 rows: [.init(label: "user 0", counts: [0, 10]), .init(label: "user 1", counts: [3, 1])])
        let svg = plot.svg()
        XCTAssertNil(SVGInspection.xmlError(svg))
        // Oracle: the ramp's end stops for shares 0 and 1, stop 4 of 0…8 for 0.5.
        XCTAssertTrue(svg.contains("<title>user 0, class 1: 10 of 10 (100.0 %)</title>"))
        XCTAssertTrue(svg.contains("fill=\"#08306B\"><title>user 0, class 1"))
        XCTAssertTrue(svg.contains("fill=\"#F7FBFF\"><title>user 0, class 0"))
        XCTAssertTrue(svg.contains("<title>user 1, class 0: 3 of 4 (75.0 %)</title>"))
        XCTAssertTrue(svg.contains("<title>server, class 0: 5 of 10 (50.0 %)</title>"))
        XCTAssertEqual(Palette.sequential(0.5), "#6BAED6")
    }

    func testStylesCycleColorsThenDashes() {
        XCTAssertEqual(Palette.style(at: 0).color, "#0072B2")
        XCTAssertNil(Palette.style(at: 0).dash)
        XCTAssertEqual(Palette.style(at: Palette.colors.count).color, "#0072B2")
        XCTAssertEqual(Palette.style(at: Palette.colors.count).dash, "6 3")
        XCTAssertEqual(Set(Palette.colors).count, Palette.colors.count)
    }
}
