/// Sizes and non-iid statistics of a ``Partition``, for logs and reports.
public struct PartitionSummary: Sendable, Equatable, CustomStringConvertible {
    /// Size of the training set partitioned.
    public var trainingCount: Int
    /// Size of the server's labeled set.
    public var serverCount: Int
    /// Size of each user's set.
    public var userCounts: [Int]
    /// Training examples in no set (floor remainders).
    public var unassignedCount: Int
    /// Mean over users of the dominant-class fraction (see
    /// ``Partition/dominantFractions(labels:classes:)``).
    public var dominantFractionMean: Double
    /// Smallest user dominant-class fraction.
    public var dominantFractionMin: Double
    /// Largest user dominant-class fraction.
    public var dominantFractionMax: Double

    /// Creates a summary from its parts.
    public init(trainingCount: Int, serverCount: Int, userCounts: [Int], unassignedCount: Int,
                dominantFractionMean: Double, dominantFractionMin: Double, dominantFractionMax: Double) {
        self.trainingCount = trainingCount
        self.serverCount = serverCount
        self.userCounts = userCounts
        self.unassignedCount = unassignedCount
        self.dominantFractionMean = dominantFractionMean
        self.dominantFractionMin = dominantFractionMin
        self.dominantFractionMax = dominantFractionMax
    }

    /// One line, e.g. `server 1000, 10 users of 4900...4900, 0 unassigned, dominant class 0.461 (0.455...0.466)`.
    public var description: String {
        let sizes = userCounts.isEmpty ? "0 users" : "\(userCounts.count) users of \(userCounts.min()!)...\(userCounts.max()!)"
        return "server \(serverCount), \(sizes), \(unassignedCount) unassigned, dominant class "
            + "\(Self.format(dominantFractionMean)) (\(Self.format(dominantFractionMin))...\(Self.format(dominantFractionMax)))"
    }

    static func format(_ value: Double) -> String {
        let thousandths = Int((value * 1000).rounded())
        let fraction = String(thousandths % 1000)
        return "\(thousandths / 1000)." + String(repeating: "0", count: 3 - fraction.count) + fraction
    }
}
