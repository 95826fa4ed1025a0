import Foundation

/// Final test accuracy of the runs sharing one method and one value of the swept parameter
/// (typically the seeds of one configuration), reduced to mean, spread and count.
public struct SweepPoint: Sendable, Equatable {
    /// The runs' method.
    public var method: String
    /// The swept parameter's value as written in the first run of the group (e.g. `"0.4"`).
    public var axisValue: String
    /// The value as a number, when it parses as one.
    public var numericValue: Double?
    /// Ids of the aggregated runs, in input order.
    public var runIDs: [String]
    /// Mean of the runs' final test accuracies (fraction in 0...1).
    public var mean: Double
    /// Sample standard deviation (n − 1 denominator) of the final accuracies; `nil` for a single run.
    public var standardDeviation: Double?

    /// Number of aggregated runs.
    public var count: Int { runIDs.count }
}

/// Groups runs of a parameter sweep into `SweepPoint`s.
public enum SweepAggregation {
    /// One point per (method, value of `axis`), over the runs that have both the parameter and a
    /// final test accuracy (the last measured `test_accuracy`); other runs are left out.
    ///
    /// Values that parse as numbers group by numeric value (`"0.4"` and `"0.40"` are one point).
    /// Points are ordered by method name, then by value (numerically when both are numbers).
    /// - Complexity: O(n log n) in the number of runs.
    public static func points(runs: [ReportRun], axis: String) -> [SweepPoint] {
        struct Key: Hashable {
            var method: String
            var value: String
        }
        var order: [Key] = []
        var groups: [Key: (written: String, number: Double?, ids: [String], accuracies: [Double])] = [:]
        for run in runs {
            guard let written = run.parameters[axis], let accuracy = run.summary.finalAccuracy else { continue }
            let number = Double(written.trimmingCharacters(in: .whitespaces)).flatMap { $0.isFinite ? $0 : nil }
            // `+ 0` folds -0.0 into 0.0 so both spellings of zero share a key.
            let key = Key(method: run.method, value: number.map { "#\(($0 + 0).description)" } ?? written)
            if groups[key] == nil {
                order.append(key)
                groups[key] = (written, number, [], [])
            }
            groups[key]?.ids.append(run.id)
            groups[key]?.accuracies.append(accuracy)
        }
        let points = order.compactMap { key -> SweepPoint? in
            guard let group = groups[key] else { return nil }
            let (mean, deviation) = meanAndSampleDeviation(group.accuracies)
            return SweepPoint(method: key.method, axisValue: group.written, numericValue: group.number,
                              runIDs: group.ids, mean: mean, standardDeviation: deviation)
        }
        return points.sorted { a, b in
            if a.method != b.method { return a.method < b.method }
            return axisOrder(a, b)
        }
    }

    /// Whether `a`'s axis value sorts before `b`'s: numbers numerically and before text, text lexically.
    static func axisOrder(_ a: SweepPoint, _ b: SweepPoint) -> Bool {
        switch (a.numericValue, b.numericValue) {
        case let (x?, y?): return x < y
        case (.some, nil): return true
        case (nil, .some): return false
        case (nil, nil): return a.axisValue < b.axisValue
        }
    }

    /// Mean and sample standard deviation (two-pass, so a tight cluster far from zero loses no digits).
    static func meanAndSampleDeviation(_ values: [Double]) -> (mean: Double, deviation: Double?) {
        let mean = values.reduce(0, +) / Double(values.count)
        guard values.count > 1 else { return (mean, nil) }
        let squares = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
        return (mean, (squares / Double(values.count - 1)).squareRoot())
    }
}
