import Foundation
import XCTest
@testable import FoedusReport

/// Oracle: Foundation's JSONSerialization parses the text back; numbers must come back bit-identical.
final class ReportTablesJSONTests: XCTestCase {
    let awkward: [Double] = [0.1, 1.0 / 3.0, 1e-7, 123456.789, .pi, 2.5e-308, 1e21, -0.0, 42]

    func sample(parameters: [String: String]) -> ReportRun {
        ReportRun(id: "r\"1\\\n", name: "ünïcode ✓", method: "grouping", parameters: parameters, status: "finished",
                  rounds: awkward.enumerated().map { ReportRound(round: $0.offset + 1, seconds: $0.element, metrics: ["m": $0.element]) }
                      + [ReportRound(round: 99, seconds: 1, metrics: ["bad": .nan, "test_accuracy": 0.5])],
                  userHistograms: [[1, 2], [3, 4]], serverHistogram: nil, finalSHA256: "abc")
    }

    func testParsesBackWithEverything() throws {
        let text = ReportTables.json(runs: [sample(parameters: ["seed": "1", "R": "0.4"])])
        let root = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let run = try XCTUnwrap((root["runs"] as? [Any])?.first as? [String: Any])
        XCTAssertEqual(run["id"] as? String, "r\"1\\\n")
        XCTAssertEqual(run["name"] as? String, "ünïcode ✓")
        XCTAssertEqual(run["parameters"] as? [String: String], ["seed": "1", "R": "0.4"])
        XCTAssertEqual(run["final_sha256"] as? String, "abc")
        XCTAssertTrue(run["server_histogram"] is NSNull)
        XCTAssertEqual(run["user_histograms"] as? [[Int]], [[1, 2], [3, 4]])
        let rounds = try XCTUnwrap(run["rounds"] as? [[String: Any]])
        XCTAssertEqual(rounds.count, awkward.count + 1)
        for (round, value) in zip(rounds, awkward) {
            let metric = try XCTUnwrap((round["metrics"] as? [String: Any])?["m"] as? NSNumber).doubleValue
            XCTAssertEqual(metric.bitPattern == value.bitPattern || (metric == 0 && value == 0), true, "\(value) → \(metric)")
            XCTAssertEqual(try XCTUnwrap(round["seconds"] as? NSNumber).doubleValue, value)
        }
        XCTAssertTrue((rounds.last?["metrics"] as? [String: Any])?["bad"] is NSNull, "NaN has no JSON form")
        let summary = try XCTUnwrap(run["summary"] as? [String: Any])
        XCTAssertEqual(summary["final_test_accuracy"] as? Double, 0.5)
        XCTAssertEqual(summary["best_round"] as? Int, 99)
    }

    func testKeyOrderIsFixedWhateverTheDictionaryOrder() {
        var forward: [String: String] = [:]
        var backward: [String: String] = [:]
        let keys = (0..<50).map { "p\($0)" }
        for key in keys { forward[key] = key }
        for key in keys.reversed() { backward[key] = key }
        let a = ReportTables.json(runs: [sample(parameters: forward)])
        XCTAssertEqual(a, ReportTables.json(runs: [sample(parameters: backward)]))
        let order = ["\"id\"", "\"name\"", "\"method\"", "\"status\"", "\"parameters\"", "\"summary\"", "\"rounds\"",
                     "\"user_histograms\"", "\"server_histogram\"", "\"final_sha256\""]
        let positions = order.compactMap { a.range(of: $0)?.lowerBound }
        XCTAssertEqual(positions.count, order.count)
        XCTAssertEqual(positions, positions.sorted())
        let parameterPositions = keys.sorted().compactMap { a.range(of: "\"\($0)\": ")?.lowerBound }
        XCTAssertEqual(parameterPositions, parameterPositions.sorted())
    }

    func testEmptyRuns() throws {
        XCTAssertEqual(ReportTables.json(runs: []), "{\"runs\": []}\n")
        let run = ReportRun(id: "x", name: "y", method: "z")
        let root = try JSONSerialization.jsonObject(with: Data(ReportTables.json(runs: [run]).utf8)) as? [String: Any]
        let parsed = try XCTUnwrap((root?["runs"] as? [[String: Any]])?.first)
        XCTAssertTrue((parsed["summary"] as? [String: Any])?["final_test_accuracy"] is NSNull)
    }
}
