import XCTest
@testable import FoedusReport

/// Oracle: the exact RFC 4180 text written out by hand.
final class ReportTablesCSVTests: XCTestCase {
    let runs = [
        ReportRun(id: "a,1", name: "n", method: "fed\"avg", parameters: ["seed": "1", "note": "line1\nline2"],
                  rounds: [
                      ReportRound(round: 1, seconds: 1.5, metrics: ["test_loss": 0.5]),
                      ReportRound(round: 2, seconds: 2, metrics: ["test_accuracy": 0.25, "test_loss": 0.25]),
                  ]),
        ReportRun(id: "b", name: "m", method: "x", parameters: ["R": "0.4"], status: "failed",
                  rounds: [ReportRound(round: 1, seconds: 3, metrics: ["user_loss": 1e-05])]),
        ReportRun(id: "empty", name: "e", method: "x"),
    ]

    func testPerRoundRowsQuoteAndUnionColumns() {
        let expected = "run_id,method,R,note,seed,round,seconds,test_accuracy,test_loss,user_loss\r\n"
            + "\"a,1\",\"fed\"\"avg\",,\"line1\nline2\",1,1,1.5,,0.5,\r\n"
            + "\"a,1\",\"fed\"\"avg\",,\"line1\nline2\",1,2,2.0,0.25,0.25,\r\n"
            + "b,x,0.4,,,1,3.0,,,1e-05\r\n"
        XCTAssertEqual(ReportTables.csv(runs: runs), expected)
    }

    func testSummaryRowsCarryFinalAndBestAccuracy() {
        let expected = "run_id,name,method,R,note,seed,status,rounds,wall_seconds,final_test_accuracy,best_test_accuracy,best_round,final_sha256\r\n"
            + "\"a,1\",n,\"fed\"\"avg\",,\"line1\nline2\",1,,2,3.5,0.25,0.25,2,\r\n"
            + "b,m,x,0.4,,,failed,1,3.0,,,,\r\n"
            + "empty,e,x,,,,,0,0.0,,,,\r\n"
        XCTAssertEqual(ReportTables.summaryCSV(runs: runs), expected)
    }

    func testQuotingRules() {
        XCTAssertEqual(CSV.field("plain"), "plain")
        XCTAssertEqual(CSV.field("a,b"), "\"a,b\"")
        XCTAssertEqual(CSV.field("say \"hi\""), "\"say \"\"hi\"\"\"")
        XCTAssertEqual(CSV.field("cr\rlf"), "\"cr\rlf\"")
        XCTAssertEqual(CSV.field(""), "")
    }

    func testNoRunsGiveOnlyTheHeader() {
        XCTAssertEqual(ReportTables.csv(runs: []), "run_id,method,round,seconds\r\n")
    }
}
