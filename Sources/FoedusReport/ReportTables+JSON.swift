extension ReportTables {
    /// A JSON object `{"runs": [...]}` with everything the runs carry plus their derived summary.
    ///
    /// Each run has, in this order: `id`, `name`, `method`, `status`, `parameters` (keys sorted),
    /// `summary` (`rounds`, `wall_seconds`, `final_test_accuracy`, `best_test_accuracy`,
    /// `best_round`; `null` when absent), `rounds` (each `round`, `seconds`, `metrics` with keys
    /// sorted), `user_histograms`, `server_histogram`, `final_sha256` (`null` when absent).
    /// Key order is fixed, so equal input gives byte-identical output. Non-finite numbers are `null`.
    /// - Complexity: O(total rounds × metrics + histogram cells).
    public static func json(runs: [ReportRun]) -> String {
        JSONValue.object([("runs", .array(runs.map(runObject)))]).text() + "\n"
    }

    static func runObject(_ run: ReportRun) -> JSONValue {
        let summary = run.summary
        return .object([
            ("id", .string(run.id)),
            ("name", .string(run.name)),
            ("method", .string(run.method)),
            ("status", .string(run.status)),
            ("parameters", .object(run.parameters.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })),
            ("summary", .object([
                ("rounds", .int(summary.roundCount)),
                ("wall_seconds", .number(summary.wallSeconds)),
                ("final_test_accuracy", summary.finalAccuracy.map(JSONValue.number) ?? .null),
                ("best_test_accuracy", summary.bestAccuracy.map(JSONValue.number) ?? .null),
                ("best_round", summary.bestRound.map(JSONValue.int) ?? .null),
            ])),
            ("rounds", .array(run.rounds.map { round in
                .object([
                    ("round", .int(round.round)),
                    ("seconds", .number(round.seconds)),
                    ("metrics", .object(round.metrics.sorted { $0.key < $1.key }.map { ($0.key, .number($0.value)) })),
                ])
            })),
            ("user_histograms", run.userHistograms.map { .array($0.map { .array($0.map(JSONValue.int)) }) } ?? .null),
            ("server_histogram", run.serverHistogram.map { .array($0.map(JSONValue.int)) } ?? .null),
            ("final_sha256", run.finalSHA256.map(JSONValue.string) ?? .null),
        ])
    }
}
