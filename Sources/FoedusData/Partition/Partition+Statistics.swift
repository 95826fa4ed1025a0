extension Partition {
    /// The number of examples of each class among `indices`: element `c` counts label `c`.
    ///
    /// - Precondition: every index is in `0 ..< labels.count` and every label it reaches is in
    ///   `0 ..< classes`.
    /// - Complexity: O(`indices.count + classes`).
    public static func classHistogram(of indices: [Int], labels: [Int32], classes: Int) -> [Int] {
        var histogram = [Int](repeating: 0, count: classes)
        for index in indices {
            precondition(index >= 0 && index < labels.count, "[Partition.classHistogram] index \(index) outside 0..<\(labels.count)")
            let label = Int(labels[index])
            precondition(label >= 0 && label < classes, "[Partition.classHistogram] label \(label) outside 0..<\(classes)")
            histogram[label] += 1
        }
        return histogram
    }

    /// The server set's class histogram (see ``classHistogram(of:labels:classes:)``).
    public func serverClassHistogram(labels: [Int32], classes: Int) -> [Int] {
        Self.classHistogram(of: server, labels: labels, classes: classes)
    }

    /// One class histogram per user: `result[k][c]` counts user `k`'s examples of class `c`.
    /// - Complexity: O(`userExampleCount + userCount · classes`).
    public func userClassHistograms(labels: [Int32], classes: Int) -> [[Int]] {
        users.map { Self.classHistogram(of: $0, labels: labels, classes: classes) }
    }

    /// Each user's most frequent class (the smallest such class on ties), or `nil` for a user
    /// with no examples.
    public func dominantClasses(labels: [Int32], classes: Int) -> [Int?] {
        userClassHistograms(labels: labels, classes: classes).map { histogram in
            guard let top = histogram.max(), top > 0 else { return nil }
            return histogram.firstIndex(of: top)
        }
    }

    /// Each user's dominant-class fraction: the count of its most frequent class over its
    /// size, in `[1/classes, 1]`; 0 for a user with no examples. SSFL's non-iid level `R`
    /// gives about `R + (1 − R) / classes`.
    public func dominantFractions(labels: [Int32], classes: Int) -> [Double] {
        userClassHistograms(labels: labels, classes: classes).map { histogram in
            let size = histogram.reduce(0, +)
            return size == 0 ? 0 : Double(histogram.max() ?? 0) / Double(size)
        }
    }

    /// Sizes and dominant-class statistics of the partition of a training set with these
    /// `labels` (see ``PartitionSummary``).
    /// - Complexity: O(`labels.count + userCount · classes`).
    public func summary(labels: [Int32], classes: Int) -> PartitionSummary {
        let fractions = dominantFractions(labels: labels, classes: classes)
        let mean = fractions.isEmpty ? 0 : fractions.reduce(0, +) / Double(fractions.count)
        return PartitionSummary(
            trainingCount: labels.count,
            serverCount: server.count,
            userCounts: users.map(\.count),
            unassignedCount: labels.count - assignedCount,
            dominantFractionMean: mean,
            dominantFractionMin: fractions.min() ?? 0,
            dominantFractionMax: fractions.max() ?? 0)
    }
}
