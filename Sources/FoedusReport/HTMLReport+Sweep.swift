extension HTMLReport {
    /// Final accuracy versus the swept parameter (means ± 1 sample std per method) and the table of those figures.
    static func sweepSection(_ runs: [ReportRun], axis: String) -> String {
        let points = SweepAggregation.points(runs: runs, axis: axis)
        let escapedAxis = Markup.escape(axis)
        guard !points.isEmpty else {
            return "<p class=\"empty\">No run has both the parameter <code>\(escapedAxis)</code> and a test accuracy.</p>\n"
        }
        let methods = points.reduce(into: [String]()) { if !$0.contains($1.method) { $0.append($1.method) } }
        let numeric = points.allSatisfy { $0.numericValue != nil }
        // Categorical values get evenly spaced positions in sorted order.
        let categories = numeric ? [] : points.sorted(by: SweepAggregation.axisOrder)
            .reduce(into: [String]()) { if !$0.contains($1.axisValue) { $0.append($1.axisValue) } }
        func position(_ point: SweepPoint) -> Double {
            numeric ? point.numericValue ?? 0 : Double(categories.firstIndex(of: point.axisValue) ?? 0)
        }

        let series = methods.enumerated().map { index, method in
            ErrorBarPlot.Series(label: method, points: points.filter { $0.method == method }.map { point in
                ErrorBarPlot.Point(x: position(point), y: point.mean * 100, error: point.standardDeviation.map { $0 * 100 },
                                   note: "\(method), \(axis) = \(point.axisValue): " + describe(point))
            }, styleIndex: index)
        }
        let ticks = numeric ? nil : categories.enumerated().map { ErrorBarPlot.Tick(value: Double($0.offset), label: $0.element) }
        let plot = ErrorBarPlot(title: "Final test accuracy versus " + axis, xLabel: axis,
                                yLabel: "Final test accuracy (%)", series: series, xTicks: ticks, width: 640)
        var html = "<p class=\"note\">Each point is the mean final test accuracy of the runs sharing a method and a value of "
            + "<code>\(escapedAxis)</code> (e.g. over seeds); bars show ±1 sample standard deviation and are omitted for a single run.</p>\n"
        html += "<div class=\"sweep\">" + figure(plot.svg())
        html += "<div class=\"scroll\"><table>\n<thead><tr><th>Method</th><th>\(escapedAxis)</th>"
            + "<th class=\"num\">Mean (%)</th><th class=\"num\">Std (%)</th><th class=\"num\">Runs</th></tr></thead>\n<tbody>\n"
        for point in points {
            html += "<tr><td>" + Markup.escape(point.method) + "</td><td>" + Markup.escape(point.axisValue) + "</td>"
                + "<td class=\"num strong\">" + NumberFormat.fixed(point.mean * 100, decimals: 2) + "</td>"
                + "<td class=\"num\">" + (point.standardDeviation.map { NumberFormat.fixed($0 * 100, decimals: 2) } ?? "—") + "</td>"
                + "<td class=\"num\" title=\"" + Markup.escape(point.runIDs.joined(separator: ", ")) + "\">\(point.count)</td></tr>\n"
        }
        html += "</tbody>\n</table></div></div>\n"
        let used = points.reduce(0) { $0 + $1.count }
        if used < runs.count {
            html += "<p class=\"note\">\(runs.count - used) of \(runs.count) runs are left out: they lack the parameter "
                + "<code>\(escapedAxis)</code> or a measured test accuracy.</p>\n"
        }
        return html
    }

    /// `85.31 % ± 0.42 (n = 2)`, or without the ± part for a single run.
    static func describe(_ point: SweepPoint) -> String {
        NumberFormat.fixed(point.mean * 100, decimals: 2) + " %"
            + (point.standardDeviation.map { " ± " + NumberFormat.fixed($0 * 100, decimals: 2) } ?? "")
            + " (n = \(point.count))"
    }
}
