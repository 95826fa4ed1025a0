/// A self-contained HTML page reporting federated-learning runs: inline CSS and SVG only,
/// no JavaScript and no external resources, so it works offline and can be mailed as one file.
public enum HTMLReport {
    /// Renders the report page.
    ///
    /// Contents: the title; a summary table (run, method, parameters, final and best test accuracy
    /// in percent, rounds, wall time); line plots per round of test accuracy, the losses and the
    /// other metrics (all runs overlaid in one plot per metric when there are at most
    /// `overlayLimit` runs, otherwise one set of plots per run); per-user class histograms as a
    /// heat map per run (runs with identical histograms share one); and, when `sweepAxis` names a
    /// parameter (e.g. `"R"`), final accuracy versus that parameter with one line per method,
    /// points at the mean over the runs sharing (method, value) and error bars of ±1 sample
    /// standard deviation (none for a single run), followed by a table of those means.
    ///
    /// Every user-supplied string (ids, names, parameters, title, `generatedAt`) is escaped.
    /// - Parameters:
    ///   - runs: the runs, in the order they should be listed.
    ///   - title: page title.
    ///   - sweepAxis: the swept parameter's name, or `nil` for no sweep section.
    ///   - generatedAt: a timestamp shown verbatim (passed in so the output is deterministic).
    /// - Complexity: O(total rounds × metrics + histogram cells).
    public static func render(runs: [ReportRun], title: String, sweepAxis: String? = nil, generatedAt: String) -> String {
        var sections: [(id: String, heading: String, body: String)] = []
        if !runs.isEmpty {
            sections.append(("summary", "Summary", summarySection(runs, overlaid: runs.count <= overlayLimit)))
            if let sweepAxis {
                sections.append(("sweep", "Final accuracy versus " + sweepAxis, sweepSection(runs, axis: sweepAxis)))
            }
            sections.append(("curves", "Training curves", curvesSection(runs)))
            if let histograms = histogramSection(runs) {
                sections.append(("histograms", "Class distribution per user", histograms))
            }
        }
        var page = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            + "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            + "<meta name=\"generator\" content=\"Foedus\">\n"
            + "<title>" + Markup.escape(title) + "</title>\n<style>\n" + stylesheet + "</style>\n</head>\n<body>\n"
        page += "<header>\n<h1>" + Markup.escape(title) + "</h1>\n<p class=\"meta\">"
            + "\(runs.count) run" + (runs.count == 1 ? "" : "s") + " · generated " + Markup.escape(generatedAt) + "</p>\n"
        if sections.count > 1 {
            page += "<nav>" + sections.map { "<a href=\"#\($0.id)\">" + Markup.escape($0.heading) + "</a>" }
                .joined(separator: " ") + "</nav>\n"
        }
        page += "</header>\n<main>\n"
        if runs.isEmpty {
            page += "<p class=\"empty\">No runs to report.</p>\n"
        }
        for section in sections {
            page += "<section id=\"\(section.id)\">\n<h2>" + Markup.escape(section.heading) + "</h2>\n"
                + section.body + "</section>\n"
        }
        page += "</main>\n<footer>Foedus report · self-contained: no scripts, no external resources.</footer>\n"
        page += "</body>\n</html>\n"
        return page
    }

    /// Up to this many runs share one plot per metric; more get one set of plots each.
    /// Equal to the number of palette colors, so overlaid runs differ by color, not only by dash.
    public static let overlayLimit = Palette.colors.count
}
