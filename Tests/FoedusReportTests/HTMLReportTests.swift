import Foundation
import XCTest
@testable import FoedusReport

final class HTMLReportTests: XCTestCase {
    func testUserTextIsEscapedEverywhere() throws {
        let hostile = "<script>&\"x\""
        let run = ReportRun(id: hostile, name: hostile, method: hostile, parameters: [hostile: hostile], status: hostile,
                            rounds: [ReportRound(round: 1, seconds: 1, metrics: ["test_accuracy": 0.5, hostile: 1]),
                                     ReportRound(round: 2, seconds: 1, metrics: ["test_accuracy": 0.6, hostile: 2])],
                            userHistograms: [[1, 2]], finalSHA256: hostile)
        let other = ReportRun(id: "plain", name: "p", method: "fedavg", parameters: [hostile: "0.2"],
                              rounds: [ReportRound(round: 1, seconds: 1, metrics: ["test_accuracy": 0.4])])
        let html = HTMLReport.render(runs: [run, other], title: hostile, sweepAxis: hostile, generatedAt: hostile)
        XCTAssertFalse(html.contains("<script"), "no raw tag")
        XCTAssertFalse(html.contains("&\"x\""), "no raw ampersand or quote")
        XCTAssertTrue(html.contains("&lt;script&gt;&amp;&quot;x&quot;"))
        XCTAssertTrue(html.contains("<title>&lt;script&gt;&amp;&quot;x&quot;</title>"))
        SVGInspection.assertWellFormed(html)
    }

    func testPageIsSelfContained() {
        let html = HTMLReport.render(runs: SampleRuns.sweep, title: "t", sweepAxis: "R", generatedAt: "2025-01-01")
        for forbidden in ["<script", "src=", "href=\"http", "url(", "@import", "<link", "<iframe", "javascript:"] {
            XCTAssertFalse(html.contains(forbidden), forbidden)
        }
        // Inline event handlers (onclick=, onload=) are scripts too.
        XCTAssertNil(html.range(of: #"\son[a-z]+="#, options: .regularExpression))
        // The SVG namespace is an identifier, not a fetched resource; nothing else may name a URL.
        XCTAssertEqual(SVGInspection.count("http", in: html), SVGInspection.count("http://www.w3.org/2000/svg", in: html))
    }

    func testEverySVGIsWellFormedXML() {
        let sweep = HTMLReport.render(runs: SampleRuns.sweep, title: "t", sweepAxis: "R", generatedAt: "now")
        // 13 runs: swatch-free summary, 1 sweep plot, 13 × 3 curve panels, 6 distinct partitions (R × seed).
        XCTAssertEqual(SVGInspection.assertWellFormed(sweep), 1 + 13 * 3 + 6)
        let few = HTMLReport.render(runs: SampleRuns.few, title: "t", generatedAt: "now")
        // 4 runs: 4 swatches, 6 metric plots, 3 distinct partitions (the two R=0.4 seed-1 runs share one).
        XCTAssertEqual(SVGInspection.assertWellFormed(few), 4 + 6 + 3)
    }

    func testSummaryShowsPercentagesRoundsAndWallTime() {
        let run = ReportRun(id: "r1", name: "cfg", method: "grouping", parameters: ["R": "0.4", "seed": "1"], status: "finished",
                            rounds: [ReportRound(round: 1, seconds: 30, metrics: ["test_accuracy": 0.8531]),
                                     ReportRound(round: 2, seconds: 45, metrics: ["test_accuracy": 0.9124]),
                                     ReportRound(round: 3, seconds: 50, metrics: ["server_loss": 0.1])])
        let html = HTMLReport.render(runs: [run], title: "t", generatedAt: "now")
        XCTAssertTrue(html.contains("<td class=\"num strong\">91.2</td>"), "final = last measured, in percent")
        XCTAssertTrue(html.contains("91.2 <small>(round 2)</small>"))
        XCTAssertTrue(html.contains("<td class=\"num\">3</td>"))
        XCTAssertTrue(html.contains("2 min 05 s"))
        XCTAssertTrue(html.contains("<span class=\"param\">R=0.4</span> <span class=\"param\">seed=1</span>"))
    }

    func testSharedParametersAreListedOnce() {
        let runs = (1...2).map {
            ReportRun(id: "r\($0)", name: "n", method: "m", parameters: ["model": "cnn-gn", "seed": "\($0)"])
        }
        let html = HTMLReport.render(runs: runs, title: "t", generatedAt: "now")
        XCTAssertTrue(html.contains("Shared by all runs: <span class=\"param\">model=cnn-gn</span>"))
        XCTAssertEqual(SVGInspection.count("model=cnn-gn", in: html), 1)
        XCTAssertTrue(html.contains("<td class=\"params\"><span class=\"param\">seed=2</span></td>"))
    }

    func testEmptyAndAccuracyFreeRunsRender() {
        let empty = HTMLReport.render(runs: [], title: "none", sweepAxis: "R", generatedAt: "now")
        XCTAssertTrue(empty.contains("No runs to report."))
        XCTAssertTrue(empty.hasSuffix("</html>\n"))

        let bare = ReportRun(id: "bare", name: "b", method: "fedavg")
        let lossOnly = ReportRun(id: "loss", name: "l", method: "fedavg", parameters: ["R": "0.2"],
                                 rounds: [ReportRound(round: 1, seconds: 1, metrics: ["server_loss": .nan]),
                                          ReportRound(round: 2, seconds: .infinity, metrics: ["server_loss": .infinity])],
                                 userHistograms: [], serverHistogram: [])
        let oddHistograms = ReportRun(id: "odd", name: "o", method: "x", userHistograms: [[], [0, 0], [5]], serverHistogram: [0])
        for runs in [[bare], [lossOnly], [bare, lossOnly, oddHistograms], Array(repeating: lossOnly, count: 12)] {
            let html = HTMLReport.render(runs: runs, title: "t", sweepAxis: "R", generatedAt: "now")
            SVGInspection.assertWellFormed(html)
            XCTAssertFalse(html.lowercased().contains("nan\""), "no NaN coordinates")
            XCTAssertTrue(html.contains("<td class=\"num strong\">—</td>"))
            XCTAssertTrue(html.contains("No run has both the parameter <code>R</code> and a test accuracy."))
        }
    }

    func testFewRunsAreOverlaidAndManyGetTheirOwnPlots() {
        let few = HTMLReport.render(runs: Array(SampleRuns.sweep.prefix(3)), title: "t", generatedAt: "now")
        XCTAssertEqual(SVGInspection.count("<h3>", in: few), 0)
        XCTAssertTrue(few.contains("aria-label=\"Test accuracy\""))
        let many = HTMLReport.render(runs: SampleRuns.sweep, title: "t", generatedAt: "now")
        XCTAssertEqual(SVGInspection.count("<h3>", in: many), 13)
        XCTAssertTrue(many.contains("aria-label=\"Losses — grouping-R0.2-s1\""))
    }
}
