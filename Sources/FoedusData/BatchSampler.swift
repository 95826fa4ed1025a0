import FoedusKernels

/// Splits `0 ..< count` into mini-batches of indices, in an order that is a pure function of
/// `(key, epoch)`.
///
/// With shuffling, epoch `e`'s order is `RandomStream(key: key.derived(UInt64(e))).permutation(count)`,
/// so any worker can recompute any epoch without replaying the earlier ones. Without it the
/// order is `0, 1, …, count − 1` every epoch.
public struct BatchSampler: Sendable, Hashable {
    /// Number of examples sampled from (indices `0 ..< count`).
    public let count: Int
    /// Examples per batch (the last batch may be smaller unless ``dropLast``).
    public let batchSize: Int
    /// Whether each epoch uses a fresh seeded permutation.
    public let shuffle: Bool
    /// Whether to omit a final batch smaller than ``batchSize``.
    public let dropLast: Bool
    /// The key every epoch's permutation derives from.
    public let key: RandomKey

    /// - Precondition: `count >= 0`, `batchSize > 0`.
    public init(count: Int, batchSize: Int, shuffle: Bool = true, dropLast: Bool = false, key: RandomKey) {
        precondition(count >= 0, "[BatchSampler] count \(count) must be non-negative")
        precondition(batchSize > 0, "[BatchSampler] batchSize \(batchSize) must be positive")
        self.count = count
        self.batchSize = batchSize
        self.shuffle = shuffle
        self.dropLast = dropLast
        self.key = key
    }

    /// Number of batches in every epoch: `count / batchSize`, rounded up unless ``dropLast``.
    public var batchesPerEpoch: Int {
        dropLast ? count / batchSize : (count + batchSize - 1) / batchSize
    }

    /// Every index of `0 ..< count` once, in epoch `epoch`'s order.
    /// - Precondition: `epoch >= 0`.
    /// - Complexity: O(`count`).
    public func order(epoch: Int) -> [Int] {
        precondition(epoch >= 0, "[BatchSampler] epoch \(epoch) must be non-negative")
        guard shuffle else { return Array(0..<count) }
        var stream = RandomStream(key: key.derived(UInt64(epoch)))
        return stream.permutation(count)
    }

    /// Epoch `epoch`'s batches: ``order(epoch:)`` cut into consecutive runs of ``batchSize``
    /// (the last one shorter, or dropped when ``dropLast``).
    /// - Precondition: `epoch >= 0`.
    /// - Complexity: O(`count`).
    public func batches(epoch: Int) -> [[Int]] {
        let order = order(epoch: epoch)
        return (0..<batchesPerEpoch).map { b in
            Array(order[(b * batchSize)..<min((b + 1) * batchSize, count)])
        }
    }
}
