import XCTest
@testable import FoedusReport

/// Oracle: means and sample standard deviations worked out by hand from two-value groups,
/// where std = |a − b| / √2 (n − 1 = 1). Tolerance 1e-12: the inputs carry ~1e-16 relative error.
final class SweepAggregationTests: XCTestCase {
    /// A run whose last measured accuracy is `final` (no accuracy at all when nil); the last round
    /// measures no accuracy, so "final" must mean "last measured", not "last round".
    func run(_ method: String, r: String?, seed: Int, final: Double?) -> ReportRun {
        var parameters = ["seed": String(seed)]
        parameters["R"] = r
        return ReportRun(id: "\(method)-\(r ?? "none")-\(seed)", name: "sweep", method: method, parameters: parameters,
                         status: "finished", rounds: [
                             ReportRound(round: 1, seconds: 1, metrics: final == nil ? [:] : ["test_accuracy": 0.1]),
                             ReportRound(round: 2, seconds: 1, metrics: final.map { ["test_accuracy": $0] } ?? [:]),
                             ReportRound(round: 3, seconds: 1, metrics: ["server_loss": 0.5]),
                         ])
    }

    var runs: [ReportRun] {
        [
            run("grouping", r: "0.2", seed: 1, final: 0.80), run("grouping", r: "0.2", seed: 2, final: 0.86),
            run("grouping", r: "0.4", seed: 1, final: 0.78), run("grouping", r: "0.40", seed: 2, final: 0.79),
            run("grouping", r: "0.6", seed: 1, final: 0.70), run("grouping", r: "0.6", seed: 2, final: 0.76),
            run("fedavg", r: "0.6", seed: 1, final: 0.50), run("fedavg", r: "0.6", seed: 2, final: nil),
            run("fedavg", r: "0.4", seed: 1, final: 0.65), run("fedavg", r: "0.4", seed: 2, final: 0.61),
            run("fedavg", r: "0.2", seed: 1, final: 0.70), run("fedavg", r: "0.2", seed: 2, final: 0.74),
            run("fedavg", r: nil, seed: 3, final: 0.99),
        ]
    }

    func testMeansAndSampleDeviationsPerMethodAndValue() throws {
        let points = SweepAggregation.points(runs: runs, axis: "R")
        XCTAssertEqual(points.map(\.method), ["fedavg", "fedavg", "fedavg", "grouping", "grouping", "grouping"])
        XCTAssertEqual(points.map(\.axisValue), ["0.2", "0.4", "0.6", "0.2", "0.4", "0.6"])
        XCTAssertEqual(points.map(\.count), [2, 2, 1, 2, 2, 2])
        // (mean, std) by hand: (0.70+0.74)/2 = 0.72, |0.04|/√2 = √0.0008; …
        let expected: [(Double, Double?)] = [
            (0.72, 0.0008.squareRoot()), (0.63, 0.0008.squareRoot()), (0.50, nil),
            (0.83, 0.0018.squareRoot()), (0.785, 0.00005.squareRoot()), (0.73, 0.0018.squareRoot()),
        ]
        for (point, (mean, deviation)) in zip(points, expected) {
            XCTAssertEqual(point.mean, mean, accuracy: 1e-12, "\(point.method) \(point.axisValue)")
            if let deviation {
                XCTAssertEqual(try XCTUnwrap(point.standardDeviation), deviation, accuracy: 1e-12)
            } else {
                XCTAssertNil(point.standardDeviation, "a single run has no spread")
            }
        }
        XCTAssertEqual(points[4].runIDs, ["grouping-0.4-1", "grouping-0.40-2"], "0.4 and 0.40 are one value")
    }

    func testSweepSectionDrawsOneErrorBarPerMultiRunPoint() {
        let html = HTMLReport.render(runs: runs, title: "sweep", sweepAxis: "R", generatedAt: "now")
        XCTAssertEqual(html.components(separatedBy: "class=\"error-bar\"").count - 1, 5)
        XCTAssertTrue(html.contains("<td>fedavg</td><td>0.6</td><td class=\"num strong\">50.00</td><td class=\"num\">—</td>"))
        XCTAssertTrue(html.contains("<td>fedavg</td><td>0.2</td><td class=\"num strong\">72.00</td><td class=\"num\">2.83</td>"))
        XCTAssertTrue(html.contains("2 of 13 runs are left out"))
    }

    func testCategoricalAxisValuesAreOrderedAndPlotted() {
        let runs = [run("a", r: "wide", seed: 1, final: 0.5), run("a", r: "narrow", seed: 1, final: 0.6)]
        let points = SweepAggregation.points(runs: runs, axis: "R")
        XCTAssertEqual(points.map(\.axisValue), ["narrow", "wide"])
        let html = HTMLReport.render(runs: runs, title: "t", sweepAxis: "R", generatedAt: "now")
        XCTAssertTrue(html.contains(">narrow</text>"))
        XCTAssertTrue(html.contains(">wide</text>"))
    }

    func testSweepWithoutTheParameterSaysSo() {
        let html = HTMLReport.render(runs: [run("a", r: nil, seed: 1, final: 0.5)], title: "t", sweepAxis: "R", generatedAt: "now")
        XCTAssertTrue(html.contains("No run has both the parameter <code>R</code> and a test accuracy."))
    }
}
