extension HTMLReport {
    /// How a metric is displayed: title, axis label and whether its fraction is shown in percent.
    struct MetricDisplay {
        var name: String
        var title: String
        var percent: Bool

        init(_ name: String) {
            self.name = name
            let words = name.split(separator: "_").joined(separator: " ")
            title = words.prefix(1).uppercased() + words.dropFirst()
            // Accuracies and rates are fractions in 0...1; the report shows them in percent.
            percent = name.hasSuffix("accuracy") || name.hasSuffix("_rate")
        }

        var axisLabel: String { percent ? title + " (%)" : title }

        func value(_ raw: Double) -> Double { percent ? raw * 100 : raw }
    }

    /// Metric names in display order: test accuracy, then losses, then the rest, each group sorted.
    static func orderedMetrics(_ runs: [ReportRun]) -> [String] {
        let names = runs.metricColumns
        let losses = names.filter { $0 != testAccuracyMetric && $0.contains("loss") }
        let others = names.filter { $0 != testAccuracyMetric && !$0.contains("loss") }
        return (names.contains(testAccuracyMetric) ? [testAccuracyMetric] : []) + losses + others
    }

    /// The per-round series of one metric of one run (`nil` where the round did not measure it).
    static func metricSeries(_ run: ReportRun, metric: MetricDisplay, label: String, styleIndex: Int) -> LinePlot.Series {
        LinePlot.Series(label: label, points: run.rounds.map {
            LinePlot.Point(x: Double($0.round), y: $0.metrics[metric.name].map(metric.value))
        }, styleIndex: styleIndex)
    }

    /// Line plots: one per metric with all runs overlaid when few, else one group of plots per run.
    static func curvesSection(_ runs: [ReportRun]) -> String {
        let metrics = orderedMetrics(runs).map(MetricDisplay.init)
        guard !metrics.isEmpty else { return "<p class=\"empty\">No per-round metrics were recorded.</p>\n" }
        if runs.count <= overlayLimit {
            var html = "<div class=\"grid\">\n"
            for metric in metrics {
                let series = runs.enumerated()
                    .filter { $0.element.metricNames.contains(metric.name) }
                    .map { metricSeries($0.element, metric: metric, label: $0.element.id, styleIndex: $0.offset) }
                let title = runs.count == 1 ? metric.title + " — " + runs[0].id : metric.title
                html += figure(LinePlot(title: title, xLabel: "round", yLabel: metric.axisLabel, series: series,
                                        yScale: metric.percent ? .linear : .automatic).svg())
            }
            return html + "</div>\n"
        }
        var html = "<p class=\"note\">\(runs.count) runs: one set of plots per run. Losses share a plot; "
            + "the y axis switches to a log scale when they span two decades or more.</p>\n"
        for run in runs {
            html += "<h3>" + Markup.escape(run.id) + " <small>" + Markup.escape(run.method) + "</small></h3>\n"
            html += "<div class=\"grid small\">\n"
            for panel in panels(for: metrics.filter { run.metricNames.contains($0.name) }) {
                let series = panel.metrics.enumerated().map {
                    metricSeries(run, metric: $0.element, label: $0.element.title, styleIndex: $0.offset)
                }
                html += figure(LinePlot(title: panel.title + " — " + run.id, xLabel: "round", yLabel: panel.axisLabel,
                                        series: series, yScale: panel.metrics[0].percent ? .linear : .automatic,
                                        width: 440, height: 260).svg())
            }
            if run.rounds.isEmpty || run.metricNames.isEmpty {
                html += "<p class=\"empty\">No per-round metrics were recorded.</p>\n"
            }
            html += "</div>\n"
        }
        return html
    }

    /// Groups a run's metrics into plots: accuracy alone, all losses together, other percentages
    /// together, and each remaining metric alone (it has its own unit).
    static func panels(for metrics: [MetricDisplay]) -> [(title: String, axisLabel: String, metrics: [MetricDisplay])] {
        var panels: [(title: String, axisLabel: String, metrics: [MetricDisplay])] = []
        if let accuracy = metrics.first(where: { $0.name == testAccuracyMetric }) {
            panels.append((accuracy.title, accuracy.axisLabel, [accuracy]))
        }
        let rest = metrics.filter { $0.name != testAccuracyMetric }
        let losses = rest.filter { $0.name.contains("loss") }
        if !losses.isEmpty { panels.append(("Losses", "loss", losses)) }
        let percentages = rest.filter { !$0.name.contains("loss") && $0.percent }
        if !percentages.isEmpty { panels.append(("Rates and accuracies", "%", percentages)) }
        for metric in rest where !metric.name.contains("loss") && !metric.percent {
            panels.append((metric.title, metric.axisLabel, [metric]))
        }
        return panels
    }

    /// An SVG wrapped for the grid layout.
    static func figure(_ svg: String) -> String {
        "<figure>" + svg + "</figure>\n"
    }
}
