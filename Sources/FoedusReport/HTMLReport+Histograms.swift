extension HTMLReport {
    /// One heat map per distinct partition; runs with identical histograms (same data split) share it.
    /// `nil` when no run carries histograms.
    static func histogramSection(_ runs: [ReportRun]) -> String? {
        var groups: [(users: [[Int]], server: [Int]?, ids: [String])] = []
        for run in runs {
            guard let users = run.userHistograms else { continue }
            if let index = groups.firstIndex(where: { $0.users == users && $0.server == run.serverHistogram }) {
                groups[index].ids.append(run.id)
            } else {
                groups.append((users, run.serverHistogram, [run.id]))
            }
        }
        guard !groups.isEmpty else { return nil }
        let server = groups.contains { $0.server != nil } ? " (the server's labeled set on top)" : ""
        var html = "<p class=\"note\">Rows are users\(server), columns are classes; "
            + "a cell's shade is the share of that row's samples in that class.</p>\n<div class=\"grid small\">\n"
        for group in groups {
            let names = group.ids.count <= 3
                ? group.ids.joined(separator: ", ")
                : group.ids.prefix(2).joined(separator: ", ") + " and \(group.ids.count - 2) more"
            let plot = HistogramPlot(
                title: "\(group.users.count) users — " + names,
                referenceRow: group.server.map { HistogramPlot.Row(label: "server", counts: $0) },
                rows: group.users.enumerated().map { HistogramPlot.Row(label: "user \($0.offset)", counts: $0.element) },
                width: 440)
            html += figure(plot.svg())
        }
        return html + "</div>\n"
    }
}
