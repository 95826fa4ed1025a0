import Foundation

extension ReportTables {
    /// One row per (run, round), runs in input order, rounds in stored order.
    ///
    /// Columns: `run_id`, `method`, then every parameter name used by any run (sorted), `round`,
    /// `seconds`, then every metric name used by any round (sorted). A parameter or metric a row
    /// lacks is an empty cell. RFC 4180: CRLF line ends, fields containing a comma, quote, CR or LF
    /// are quoted with inner quotes doubled. Runs with no rounds contribute no rows (see `summaryCSV`).
    /// Non-finite metrics are written `NaN`, `inf`, `-inf`.
    /// - Complexity: O(rows × columns).
    public static func csv(runs: [ReportRun]) -> String {
        let parameters = runs.parameterColumns
        let metrics = runs.metricColumns
        var rows = [["run_id", "method"] + parameters + ["round", "seconds"] + metrics]
        for run in runs {
            let fixed = [run.id, run.method] + parameters.map { run.parameters[$0] ?? "" }
            for round in run.rounds {
                rows.append(fixed + [String(round.round), NumberFormat.roundTrip(round.seconds)]
                    + metrics.map { round.metrics[$0].map(NumberFormat.roundTrip) ?? "" })
            }
        }
        return CSV.document(rows)
    }

    /// One row per run: `run_id`, `name`, `method`, every parameter (sorted union), `status`,
    /// `rounds`, `wall_seconds`, `final_test_accuracy`, `best_test_accuracy`, `best_round`,
    /// `final_sha256`. Accuracies are fractions (the last and the highest measured
    /// `test_accuracy`); absent values are empty cells. Same quoting as `csv(runs:)`.
    /// - Complexity: O(total rounds + runs × columns).
    public static func summaryCSV(runs: [ReportRun]) -> String {
        let parameters = runs.parameterColumns
        var rows = [["run_id", "name", "method"] + parameters
            + ["status", "rounds", "wall_seconds", "final_test_accuracy", "best_test_accuracy", "best_round", "final_sha256"]]
        for run in runs {
            let summary = run.summary
            rows.append([run.id, run.name, run.method] + parameters.map { run.parameters[$0] ?? "" } + [
                run.status,
                String(summary.roundCount),
                NumberFormat.roundTrip(summary.wallSeconds),
                summary.finalAccuracy.map(NumberFormat.roundTrip) ?? "",
                summary.bestAccuracy.map(NumberFormat.roundTrip) ?? "",
                summary.bestRound.map(String.init) ?? "",
                run.finalSHA256 ?? "",
            ])
        }
        return CSV.document(rows)
    }
}

/// RFC 4180 writing.
enum CSV {
    /// The rows as CSV text, each line ended by CRLF.
    static func document(_ rows: [[String]]) -> String {
        rows.map { $0.map(field).joined(separator: ",") + "\r\n" }.joined()
    }

    /// One field, quoted only when it must be.
    static func field(_ value: String) -> String {
        let needsQuotes = value.unicodeScalars.contains { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }
        guard needsQuotes else { return value }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
