extension HTMLReport {
    /// The summary table: one row per run.
    static func summarySection(_ runs: [ReportRun], overlaid: Bool) -> String {
        // Parameters every run shares are listed once above the table, so the rows show what differs.
        let shared = runs.count > 1 ? sharedParameters(runs) : [:]
        var html = shared.isEmpty ? "" : "<p class=\"note\">Shared by all runs: " + parameterList(shared) + "</p>\n"
        html += "<div class=\"scroll\"><table class=\"summary\">\n<thead><tr>"
        html += (overlaid ? "<th></th>" : "")
            + "<th>Run</th><th>Name</th><th>Method</th><th>Parameters</th><th>Status</th>"
            + "<th class=\"num\" title=\"last measured test accuracy\">Final acc. (%)</th>"
            + "<th class=\"num\" title=\"highest measured test accuracy\">Best acc. (%)</th>"
            + "<th class=\"num\">Rounds</th><th class=\"num\">Wall time</th></tr></thead>\n<tbody>\n"
        for (index, run) in runs.enumerated() {
            let summary = run.summary
            html += "<tr>"
            if overlaid { html += "<td>" + swatch(index) + "</td>" }
            let idTitle = run.finalSHA256.map { " title=\"final model sha256 " + Markup.escape($0) + "\"" } ?? ""
            html += "<td class=\"id\"\(idTitle)>" + Markup.escape(run.id) + "</td>"
            html += "<td class=\"name\">" + Markup.escape(run.name) + "</td>"
            html += "<td>" + Markup.escape(run.method) + "</td>"
            html += "<td class=\"params\">" + parameterList(run.parameters.filter { shared[$0.key] == nil }) + "</td>"
            html += "<td>" + statusBadge(run.status) + "</td>"
            html += "<td class=\"num strong\">" + NumberFormat.percent(summary.finalAccuracy) + "</td>"
            html += "<td class=\"num\">" + NumberFormat.percent(summary.bestAccuracy)
                + (summary.bestRound.map { " <small>(round \($0))</small>" } ?? "") + "</td>"
            html += "<td class=\"num\">\(summary.roundCount)</td>"
            html += "<td class=\"num\">" + NumberFormat.duration(summary.wallSeconds) + "</td>"
            html += "</tr>\n"
        }
        return html + "</tbody>\n</table></div>\n"
    }

    /// The parameters present in every run with the same value.
    static func sharedParameters(_ runs: [ReportRun]) -> [String: String] {
        guard let first = runs.first else { return [:] }
        return first.parameters.filter { key, value in runs.allSatisfy { $0.parameters[key] == value } }
    }

    /// Parameters as `key=value` chips, sorted by key.
    static func parameterList(_ parameters: [String: String]) -> String {
        guard !parameters.isEmpty else { return "<span class=\"muted\">—</span>" }
        return parameters.sorted { $0.key < $1.key }
            .map { "<span class=\"param\">" + Markup.escape($0.key) + "=" + Markup.escape($0.value) + "</span>" }
            .joined(separator: " ")
    }

    /// The status as a colored badge; the color only reinforces the word, which is always shown.
    static func statusBadge(_ status: String) -> String {
        let tone: String
        switch status.lowercased() {
        case "finished", "completed", "done", "succeeded": tone = "ok"
        case "failed", "error", "crashed": tone = "bad"
        case "running", "interrupted", "created": tone = "warn"
        default: tone = "neutral"
        }
        return "<span class=\"badge \(tone)\">" + (status.isEmpty ? "—" : Markup.escape(status)) + "</span>"
    }

    /// A short line sample in the run's plot style, so table rows can be matched to plot lines.
    static func swatch(_ styleIndex: Int) -> String {
        let style = Palette.style(at: styleIndex)
        let dash = style.dash.map { " stroke-dasharray=\"\($0)\"" } ?? ""
        return "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"26\" height=\"10\" viewBox=\"0 0 26 10\" aria-hidden=\"true\">"
            + "<line x1=\"1\" y1=\"5\" x2=\"25\" y2=\"5\" stroke=\"\(style.color)\" stroke-width=\"2.5\"\(dash)/></svg>"
    }
}
