/// The name of the metric that holds test accuracy as a fraction in 0...1.
let testAccuracyMetric = "test_accuracy"

/// Figures derived from a run's rounds, shared by the HTML summary, the summary CSV and the JSON.
struct RunSummary: Equatable {
    /// Last measured test accuracy (fraction), in round order.
    var finalAccuracy: Double?
    /// Highest measured test accuracy (fraction) and the first round that reached it.
    var bestAccuracy: Double?
    var bestRound: Int?
    /// Number of recorded rounds.
    var roundCount: Int
    /// Sum of the rounds' durations.
    var wallSeconds: Double

    init(_ run: ReportRun) {
        roundCount = run.rounds.count
        wallSeconds = run.rounds.reduce(0) { $0 + $1.seconds }
        for round in run.rounds {
            // Non-finite values (a diverged evaluation) are not accuracies; skip them.
            guard let accuracy = round.metrics[testAccuracyMetric], accuracy.isFinite else { continue }
            finalAccuracy = accuracy
            if bestAccuracy.map({ accuracy > $0 }) ?? true {
                bestAccuracy = accuracy
                bestRound = round.round
            }
        }
    }
}

extension ReportRun {
    /// The run's derived figures.
    var summary: RunSummary { RunSummary(self) }

    /// Every metric name recorded in any round.
    var metricNames: Set<String> {
        rounds.reduce(into: Set<String>()) { $0.formUnion($1.metrics.keys) }
    }
}

extension Sequence where Element == ReportRun {
    /// Sorted union of the runs' parameter names.
    var parameterColumns: [String] {
        reduce(into: Set<String>()) { $0.formUnion($1.parameters.keys) }.sorted()
    }

    /// Sorted union of the runs' metric names.
    var metricColumns: [String] {
        reduce(into: Set<String>()) { $0.formUnion($1.metricNames) }.sorted()
    }
}
